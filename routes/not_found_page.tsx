// The HTML 404 page.
import { renderPage } from "./layout.tsx";

export function notFoundPage(message: string): string {
  return renderPage(
    "Not found",
    null,
    <div class="panel notice">
      <h1>Not found</h1>
      <p>{message}</p>
      <p>
        <a href="/tests">See all tests</a> or <a href="/">start a new one</a>.
      </p>
    </div>,
  );
}
