// Which site probes each target of a test: the request's `sites` (each target
// from each site, side by side), else the server's own `site`. A target
// probed from another site gets the id `<server>@<site>`, so every per-target
// table, chart and export shows the sites apart.
import { LOCAL_SITE } from "../../model/agent.ts";
import type { ParsedAddress } from "../../probe/ip_address.ts";
import type { Config } from "../config/config.ts";
import { InvalidRequestError, UnavailableError } from "../errors.ts";
import type { PolicyTarget } from "../policy/target_policy.ts";

export interface PlacedTarget {
  id: string;
  name: string;
  host: string;
  address: string;
  /** Absent for the service itself. */
  site?: string;
}

/** Sites the config names: the service, servers' sites and agent tokens' sites. */
export function knownSites(config: Config): Set<string> {
  return new Set([
    LOCAL_SITE,
    ...config.servers.flatMap((s) => s.site ?? []),
    ...config.auth.tokens.flatMap((t) => t.site ?? []),
  ]);
}

export function placeTargets(
  targets: PolicyTarget[],
  addresses: ParsedAddress[],
  sites: string[] | undefined,
  config: Config,
): PlacedTarget[] {
  const known = knownSites(config);
  sites?.forEach((s, i) => {
    if (!known.has(s)) {
      throw new InvalidRequestError(
        `sites.${i}: unknown site "${s}" (no server or agent token names it)`,
        `sites.${i}`,
      );
    }
  });
  const own = (t: PolicyTarget) =>
    config.servers.find((s) => s.id === t.id)?.site ?? LOCAL_SITE;
  return targets.flatMap((t, i) =>
    (sites ?? [own(t)]).map((site) => ({
      id: site === LOCAL_SITE ? t.id : `${t.id}@${site}`,
      name: site === LOCAL_SITE ? t.name : `${t.name} (${site})`,
      host: t.host,
      address: addresses[i].text,
      ...(site === LOCAL_SITE ? {} : { site }),
    }))
  );
}

/**
 * Refuses a test that cannot run where asked: a path test at another site
 * (path mode runs at the service), or a site with no agent online.
 */
export async function checkPlacement(
  placed: PlacedTarget[],
  mode: string | undefined,
  siteOnline: (site: string) => Promise<boolean>,
): Promise<void> {
  const remote = [...new Set(placed.flatMap((p) => p.site ?? []))];
  if (remote.length && mode === "path") {
    throw new InvalidRequestError(
      `sites: path tests run from the service only; "${
        remote[0]
      }" is another site`,
      "sites",
    );
  }
  for (const site of remote) {
    if (!(await siteOnline(site))) {
      throw new UnavailableError(
        `site "${site}": no agent online (start one: deno task agent --server URL --token TOKEN --site ${site})`,
        "sites",
      );
    }
  }
}
