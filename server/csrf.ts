// Cross-site request refusal for state-changing methods. SameSite=Strict keeps
// the session cookie off cross-site requests already; this also covers open
// mode and proxy sign-on, where the browser would otherwise be the credential.

export const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Why `req` is refused as cross-site, or null. `ambient`: the request is
 * authenticated by something the browser adds by itself (cookie, proxy
 * sign-on), so one of Origin or Sec-Fetch-Site must vouch for it.
 */
export function crossSiteReason(req: Request, ambient: boolean): string | null {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") {
    return `cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  }
  const origin = req.headers.get("origin");
  if (origin !== null) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch { /* "null" or garbage */ }
    const self = req.headers.get("host") ?? new URL(req.url).host;
    if (host !== self) {
      return `cross-origin request refused (Origin: ${origin.slice(0, 100)})`;
    }
    return null;
  }
  if (ambient && site === null) {
    return "a browser request must carry an Origin or Sec-Fetch-Site header";
  }
  return null;
}
