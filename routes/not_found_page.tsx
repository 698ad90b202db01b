// The HTML 404 page (and other refusals of a page, under their own title).
import type { Page } from "./layout.tsx";

export function notFoundPage(message: string, title = "Not found"): Page {
  return {
    title,
    nav: null,
    body: (
      <div class="panel notice">
        <h1>{title}</h1>
        <p>{message}</p>
        <p>
          <a href="/tests">See all tests</a> or <a href="/">start a new one</a>.
        </p>
      </div>
    ),
  };
}
