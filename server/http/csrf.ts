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
  // Sec-Fetch-Site is set by the browser itself and cannot be forged by a
  // page; when present it decides. (Origin alone is not enough: under
  // Referrer-Policy: no-referrer, browsers send "Origin: null" even for a
  // same-origin form.)
  const site = req.headers.get("sec-fetch-site");
  if (site !== null) {
    return site === "same-origin" || site === "none"
      ? null
      : `cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  }
  const origin = req.headers.get("origin");
  if (origin !== null) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch { /* "null" or garbage */ }
    const self = req.headers.get("host") ?? new URL(req.url).host;
    return host === self
      ? null
      : `cross-origin request refused (Origin: ${origin.slice(0, 100)})`;
  }
  return ambient
    ? "a browser request must carry an Origin or Sec-Fetch-Site header"
    : null;
}
