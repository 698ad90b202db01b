// The sign-in page: a plain form posting to /login. No script and no inline
// style, so it runs under the Content-Security-Policy as is.
import { renderToString } from "preact-render-to-string";

export interface LoginPageProps {
  /** Where to go after signing in (already checked to be a path on this site). */
  next: string;
  username?: string;
  error?: string;
}

/** The stylesheet the web UI serves. */
export const LOGIN_STYLESHEET = "/static/app.css";

export function LoginPage({ next, username, error }: LoginPageProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Sign in · packet-loss-analyzer</title>
        <link rel="stylesheet" href={LOGIN_STYLESHEET} />
      </head>
      <body class="login-page">
        <main class="login">
          <h1>packet-loss-analyzer</h1>
          <form method="post" action="/login" class="login-form">
            <label>
              User name
              <input
                name="username"
                autocomplete="username"
                required
                maxLength={64}
                value={username ?? ""}
                autofocus
              />
            </label>
            <label>
              Password
              <input
                type="password"
                name="password"
                autocomplete="current-password"
                required
                maxLength={1024}
              />
            </label>
            <input type="hidden" name="next" value={next} />
            {error ? <p class="error" role="alert">{error}</p> : null}
            <button type="submit">Sign in</button>
          </form>
        </main>
      </body>
    </html>
  );
}

export const renderLoginPage = (props: LoginPageProps) =>
  "<!DOCTYPE html>" + renderToString(<LoginPage {...props} />);
