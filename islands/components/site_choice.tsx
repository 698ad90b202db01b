// The dashboard's "Probe from": the sites a test's servers are probed from.
// None ticked: each server from its own site (the config's `site`, else the
// service); ticked ones: every server from each of them, side by side.
import type { Signal } from "@preact/signals";

export function SiteChoice(
  { sites, chosen, error, invalid }: {
    /** Sites the config names, "local" (the service) first. */
    sites: string[];
    chosen: Signal<string[]>;
    error: (slot: string) => preact.ComponentChildren;
    invalid: (slot: string) => Record<string, unknown>;
  },
) {
  const toggle = (site: string, on: boolean) => {
    const rest = chosen.value.filter((s) => s !== site);
    chosen.value = on ? [...rest, site] : rest;
  };
  return (
    <fieldset class="sites" data-testid="sites" {...invalid("sites")}>
      <legend>Probe from</legend>
      <ul>
        {sites.map((s) => (
          <li key={s}>
            <label>
              <input
                type="checkbox"
                name="site"
                value={s}
                checked={chosen.value.includes(s)}
                onChange={(e) => toggle(s, e.currentTarget.checked)}
              />
              <span>{s === "local" ? "this service" : s}</span>
            </label>
          </li>
        ))}
      </ul>
      <p class="muted hint">
        None ticked: each server from its own site. Ticked: every server from
        each site, side by side.
      </p>
      {error("sites")}
    </fieldset>
  );
}
