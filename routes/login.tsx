// The sign-in page: a plain form posting to /login. No script and no inline
// style, so it runs under the Content-Security-Policy as is.
import { renderToString } from "preact-render-to-string";
import { assetManifest } from "./assets.ts";

export interface LoginPageProps {
  /** Where to go after signing in (already checked to be a path on this site). */
  next: string;
  username?: string;
  error?: string;
}

/** The web UI's hashed stylesheet from the build's manifest; none without a build. */
function stylesheet(): string | null {
  try {
    const css = assetManifest()["app.css"];
    return typeof css === "string" && css.startsWith("/static/") ? css : null;
  } catch {
    return null;
  }
}

export function LoginPage({ next, username, error }: LoginPageProps) {
  const css = stylesheet();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>Sign in · packet-loss-analyzer</title>
        {css ? <link rel="stylesheet" href={css} /> : null}
      </head>
      <body>
        <main id="main" class="login">
          <div class="page-title">
            <h1>Sign in</h1>
            <p class="muted">packet-loss-analyzer</p>
          </div>
          <form method="post" action="/login" class="panel setup login-form">
            <div class="field">
              <label for="username">User name</label>
              <input
                id="username"
                name="username"
                autocomplete="username"
                required
                maxLength={64}
                value={username ?? ""}
                autofocus
              />
            </div>
            <div class="field">
              <label for="password">Password</label>
              <input
                id="password"
                type="password"
                name="password"
                autocomplete="current-password"
                required
                maxLength={1024}
              />
            </div>
            <div class="actions">
              <input type="hidden" name="next" value={next} />
              <button type="submit" class="primary">Sign in</button>
              {error ? <p class="error" role="alert">{error}</p> : null}
            </div>
          </form>
        </main>
      </body>
    </html>
  );
}

export const renderLoginPage = (props: LoginPageProps) =>
  "<!DOCTYPE html>" + renderToString(<LoginPage {...props} />);
