// The system's reverse lookup (getnameinfo, which reads /etc/hosts before
// DNS), loaded lazily like the forward lookup in resolve_target.ts.
export type LookupServiceFn = (address: string) => Promise<string | null>;

/** Reverse-resolves through node:dns lookupService; rejects on failure. */
export const systemLookupService: LookupServiceFn = async (address) => {
  const dns = await import("node:dns");
  return await new Promise<string | null>((resolve, reject) => {
    dns.lookupService(address, 0, (err, hostname) => {
      if (err) reject(err);
      else resolve(hostname ?? null);
    });
  });
};
