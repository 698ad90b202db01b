// The HTML 404 page.
import type { Page } from "./layout.tsx";

export function notFoundPage(message: string): Page {
  return {
    title: "Not found",
    nav: null,
    body: (
      <div class="panel notice">
        <h1>Not found</h1>
        <p>{message}</p>
        <p>
          <a href="/tests">See all tests</a> or <a href="/">start a new one</a>.
        </p>
      </div>
    ),
  };
}
