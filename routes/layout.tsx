// The page shell: head with the hashed assets, header with navigation and the
// theme toggle island, and the page's own content.
import type { ComponentChildren } from "preact";
import { renderToString } from "preact-render-to-string";
import ThemeToggle from "../islands/ThemeToggle.tsx";
import { assetManifest } from "./assets.ts";
import { Island } from "./island.tsx";
import type { SignedIn } from "./signed_in.ts";

export type NavItem = "dashboard" | "history" | "monitors" | "device" | null;

/** What a route renders: the layout adds head, header and navigation. */
export interface Page {
  title: string;
  nav: NavItem;
  body: ComponentChildren;
  /** The page's bundle of islands; default boot.js (dashboard and tests). */
  script?: "boot.js" | "monitors.js" | "tests.js" | "device.js";
}

function Layout(
  { title, nav, user, script, children }: {
    title: string;
    nav: NavItem;
    script: "boot.js" | "monitors.js" | "tests.js" | "device.js";
    user: SignedIn | null;
    children: ComponentChildren;
  },
) {
  const assets = assetManifest();
  const link = (href: string, item: NavItem, label: string) => (
    <a href={href} aria-current={nav === item ? "page" : undefined}>{label}</a>
  );
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{title} · packet-loss-analyzer</title>
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href={assets["app.css"]} />
        <script src={assets["theme.js"]} />
        <script type="module" src={assets[script]} />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="topbar">
          <div class="topbar-inner">
            <a class="brand" href="/">
              <span class="brand-mark" aria-hidden="true">PL</span>
              <span class="brand-text">packet-loss-analyzer</span>
            </a>
            <nav class="nav" aria-label="Main">
              {link("/", "dashboard", "Dashboard")}
              {link("/tests", "history", "History")}
              {link("/monitors", "monitors", "Monitors")}
              {link("/device", "device", "Test this device")}
            </nav>
            {user && (
              <span class="user">
                {user.name} <small class="muted">{user.role}</small>
              </span>
            )}
            {user?.canSignOut && (
              <form method="post" action="/logout" class="signout">
                <button type="submit" class="small">Sign out</button>
              </form>
            )}
            <Island name="ThemeToggle" component={ThemeToggle} props={{}} />
          </div>
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}

/** A full HTML document. */
export function renderPage(page: Page, user: SignedIn | null): string {
  return "<!DOCTYPE html>" +
    renderToString(
      <Layout
        title={page.title}
        nav={page.nav}
        user={user}
        script={page.script ?? "boot.js"}
      >
        {page.body}
      </Layout>,
    );
}
