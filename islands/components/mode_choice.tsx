// The dashboard's choice of what to measure: ping (the destination only),
// path (every hop up to it, with its max hops), or both at once, which starts
// two tests with the same targets and settings.
import type { Signal } from "@preact/signals";

export interface Modes {
  ping: boolean;
  path: boolean;
  /** As typed; sent as a number when it is one. */
  max_hops: string;
}

export interface PathLimits {
  /** The server's default max hops. */
  max_hops: number;
  /** The highest max hops it accepts. */
  max_hops_limit: number;
}

/** The request bodies to POST for the chosen modes, in order (ping first). */
export function bodiesFor(
  modes: Modes,
  base: Record<string, unknown>,
): Record<string, unknown>[] {
  const raw = modes.max_hops.trim();
  const hops = raw === "" ? {} : {
    max_hops: Number.isFinite(Number(raw)) ? Number(raw) : raw,
  };
  const path = { ...base, mode: "path", ...hops };
  if (modes.ping && modes.path) return [{ ...base, mode: "ping" }, path];
  // Ping alone is the request it always was (the default mode).
  return modes.path ? [path] : modes.ping ? [base] : [];
}

export function ModeChoice(
  { modes, limits, error, invalid }: {
    modes: Signal<Modes>;
    limits: PathLimits;
    error: (slot: string) => preact.ComponentChildren;
    invalid: (slot: string) => Record<string, unknown>;
  },
) {
  const set = (patch: Partial<Modes>) =>
    modes.value = { ...modes.value, ...patch };
  return (
    <fieldset class="modes" {...invalid("mode")}>
      <legend>Measure</legend>
      <div class="mode-choice">
        <label title="Loss, RTT and jitter to each server">
          <input
            type="checkbox"
            name="mode"
            value="ping"
            checked={modes.value.ping}
            onChange={(e) => set({ ping: e.currentTarget.checked })}
          />
          Ping
        </label>
        <label title="Every hop of the route to each server, like mtr">
          <input
            type="checkbox"
            name="mode"
            value="path"
            checked={modes.value.path}
            onChange={(e) => set({ path: e.currentTarget.checked })}
          />
          Path (hops)
        </label>
        <div class="field" hidden={!modes.value.path}>
          <label for="f-max_hops">
            Max hops <span class="muted">(1–{limits.max_hops_limit})</span>
          </label>
          <input
            id="f-max_hops"
            name="max_hops"
            type="text"
            inputMode="numeric"
            autocomplete="off"
            title="The highest hop (TTL) probed"
            value={modes.value.max_hops}
            onInput={(e) => set({ max_hops: e.currentTarget.value })}
            {...invalid("max_hops")}
          />
          {error("max_hops")}
        </div>
      </div>
      {error("mode")}
      {modes.value.ping && modes.value.path && (
        <p class="muted hint">
          Starts two tests, a ping test and a path test, with the same servers
          and settings.
        </p>
      )}
    </fieldset>
  );
}
