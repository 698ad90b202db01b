// Island of /: pick servers, set the test, Start and Stop, and watch it live.
// Validation is the API's own: a problem's `field` puts its message beside
// that control.
import { useComputed, useSignal } from "@preact/signals";
import type { Config, ServerEntry } from "../server/config/config.ts";
import { startTest, stopTest } from "./client/api.ts";
import { LiveStore } from "./client/live_store.ts";
import { TestLive, useFollow } from "./components/test_live.tsx";
import {
  bodiesFor,
  ModeChoice,
  type Modes,
  type PathLimits,
} from "./components/mode_choice.tsx";
import { SiteChoice } from "./components/site_choice.tsx";

export interface DashboardProps {
  servers: ServerEntry[];
  defaults: Config["defaults"];
  limits: Config["limits"];
  /** Max hops of a path test: the default and the highest allowed. */
  path: PathLimits;
  /** The signed-in role may look but not start tests (viewer). */
  readOnly?: boolean;
  /** Sites probes can leave from; the choice is shown when there is more than the service. */
  sites?: string[];
}

type FieldName = "interval_ms" | "count" | "duration_s" | "size";
const FIELDS: [FieldName, string, string, string][] = [
  ["interval_ms", "Interval", "ms", "Time between probes of one server"],
  ["count", "Count", "probes", "Probes per server"],
  ["duration_s", "Duration", "s", "How long to probe"],
  ["size", "Size", "bytes", "ICMP payload size"],
];

const matches = (s: ServerEntry, q: string) =>
  !q ||
  [s.name, s.host, s.id, s.group, s.description, ...s.tags].some((v) =>
    v.toLowerCase().includes(q)
  );

/** The control a problem's field belongs to ("targets.0" → "targets"). */
const slotOf = (field?: string) =>
  !field
    ? "form"
    : field.startsWith("targets")
    ? "targets"
    : field.startsWith("sites")
    ? "sites"
    : FIELDS.some(([f]) => f === field) || field === "max_hops" ||
        field === "mode"
    ? field
    : "form";

export default function Dashboard(
  { servers, defaults, limits, path, readOnly = false, sites = [] }:
    DashboardProps,
) {
  const fromSites = useSignal<string[]>([]);
  const filter = useSignal("");
  const selected = useSignal<string[]>([]);
  const values = useSignal<Record<FieldName, string>>({
    interval_ms: String(defaults.interval_ms),
    count: "",
    duration_s: "30",
    size: String(defaults.size),
  });
  const modes = useSignal<Modes>({
    ping: true,
    path: false,
    max_hops: String(path.max_hops),
  });
  /** The path test started alongside the ping test shown. */
  const companion = useSignal<string | null>(null);
  const errors = useSignal<Record<string, string>>({});
  const busy = useSignal(false);
  const active = useSignal<LiveStore | null>(null);
  useFollow(active.value);
  const running = useComputed(() => active.value?.status.value === "running");
  const groups = [...new Set(servers.map((s) => s.group))];
  const q = filter.value.trim().toLowerCase();

  const toggle = (id: string, on: boolean) => {
    const rest = selected.value.filter((v) => v !== id);
    selected.value = on ? [...rest, id] : rest;
  };
  const setValue = (name: FieldName, v: string) => {
    const next = { ...values.value, [name]: v };
    // A test runs for a count or a duration: filling one clears the other.
    if (v && name === "count") next.duration_s = "";
    if (v && name === "duration_s") next.count = "";
    values.value = next;
  };
  const start = async (e: Event) => {
    e.preventDefault();
    if (busy.value || running.value) return;
    busy.value = true;
    errors.value = {};
    const body: Record<string, unknown> = {
      // In list order, so the charts follow the page.
      targets: servers.map((s) => s.id).filter((id) =>
        selected.value.includes(id)
      ),
      ...(fromSites.value.length
        ? { sites: sites.filter((s) => fromSites.value.includes(s)) }
        : {}),
    };
    for (const [name] of FIELDS) {
      const raw = values.value[name].trim();
      // Not a number: sent as typed, so the API's message names the field.
      if (raw !== "") {
        body[name] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
      }
    }
    const bodies = bodiesFor(modes.value, body);
    if (!bodies.length) {
      busy.value = false;
      errors.value = { mode: "choose Ping, Path or both" };
      return;
    }
    // One after the other: a refused first test starts nothing.
    const first = await startTest(bodies[0]);
    const second = "id" in first && bodies[1]
      ? await startTest(bodies[1])
      : null;
    busy.value = false;
    companion.value = second && "id" in second ? second.id : null;
    if ("id" in first) {
      history.pushState(null, "", `/tests/${first.id}`);
      document.title = `Test ${first.id} · packet-loss-analyzer`;
      active.value = new LiveStore(first, null);
    }
    const problem = "id" in first
      ? second && !("id" in second) && second
      : first;
    if (problem) {
      const msg = problem.detail.replace(/^[\w.]+: /, "");
      // The ping test runs; say which test the message is about.
      const slot = slotOf(problem.field);
      errors.value = {
        [slot]: problem === second ? `Path test: ${msg}` : msg,
      };
    }
  };
  const stop = async () => {
    const store = active.value;
    if (!store) return;
    // The path test started with it stops with it.
    if (companion.value) void stopTest(companion.value);
    const problem = await stopTest(store.meta.id);
    if (problem) errors.value = { form: problem.detail };
  };
  const err = (slot: string) =>
    errors.value[slot] && (
      <p class="field-error" id={`err-${slot}`} role="alert">
        {errors.value[slot]}
      </p>
    );
  const invalid = (slot: string) =>
    errors.value[slot]
      ? { "aria-invalid": true, "aria-describedby": `err-${slot}` }
      : {};

  return (
    <div class="dashboard">
      <form
        class="panel setup"
        method="get"
        action="/"
        noValidate
        onSubmit={start}
      >
        <fieldset class="servers" {...invalid("targets")}>
          <legend>Servers</legend>
          <div class="filter-row">
            <input
              type="search"
              name="filter"
              placeholder="Filter by name, host or tag"
              aria-label="Filter servers"
              value={filter.value}
              onInput={(e) => filter.value = e.currentTarget.value}
            />
            <span class="muted" aria-live="polite">
              {selected.value.length} of {servers.length} selected
            </span>
            <button
              type="button"
              class="small"
              onClick={() =>
                selected.value = [
                  ...new Set([
                    ...selected.value,
                    ...servers.filter((s) => matches(s, q)).map((s) => s.id),
                  ]),
                ]}
            >
              Select shown
            </button>
            <button
              type="button"
              class="small"
              disabled={!selected.value.length}
              onClick={() => selected.value = []}
            >
              Clear
            </button>
          </div>
          {groups.map((g) => {
            const list = servers.filter((s) => s.group === g);
            const hidden = list.every((s) => !matches(s, q));
            return (
              <fieldset class="group" key={g} hidden={hidden}>
                <legend>{g}</legend>
                <ul>
                  {list.map((s) => (
                    <li key={s.id} hidden={!matches(s, q)}>
                      <label title={s.description || undefined}>
                        <input
                          type="checkbox"
                          name="server"
                          value={s.id}
                          checked={selected.value.includes(s.id)}
                          onChange={(e) =>
                            toggle(s.id, e.currentTarget.checked)}
                        />
                        <span class="server-name">{s.name}</span>
                        <small class="muted">
                          {s.host}
                          {s.probe && s.probe.kind !== "icmp" && (
                            <span class="tag" data-testid="probe-kind">
                              {s.probe.kind}:{s.probe.port}
                            </span>
                          )}
                          {s.tags.map((t) => (
                            <span class="tag" key={t}>{t}</span>
                          ))}
                        </small>
                      </label>
                    </li>
                  ))}
                </ul>
              </fieldset>
            );
          })}
          {err("targets")}
        </fieldset>
        {sites.length > 1 && (
          <SiteChoice
            sites={sites}
            chosen={fromSites}
            error={err}
            invalid={invalid}
          />
        )}
        <fieldset class="settings">
          <legend>Settings</legend>
          <ModeChoice
            modes={modes}
            limits={path}
            error={err}
            invalid={invalid}
          />
          <div class="fields">
            {FIELDS.map(([name, label, unit, hint]) => (
              <div class="field" key={name}>
                <label for={`f-${name}`}>
                  {label} <span class="muted">({unit})</span>
                </label>
                <input
                  id={`f-${name}`}
                  name={name}
                  type="text"
                  inputMode="decimal"
                  autocomplete="off"
                  title={hint}
                  value={values.value[name]}
                  onInput={(e) =>
                    setValue(name, e.currentTarget.value)}
                  {...invalid(name)}
                />
                {err(name)}
              </div>
            ))}
          </div>
          <p class="muted hint">
            Give a count or a duration; filling one clears the other. At least
            {" "}
            {limits.min_interval_ms} ms between probes, at most{" "}
            {limits.max_targets} servers.
          </p>
        </fieldset>
        <div class="actions">
          <button
            type="submit"
            class="primary"
            data-testid="start"
            disabled={readOnly || busy.value || running.value}
          >
            {busy.value ? "Starting…" : "Start"}
          </button>
          <button
            type="button"
            class="danger"
            data-testid="stop"
            disabled={readOnly || !running.value}
            onClick={stop}
          >
            Stop
          </button>
          {err("form")}
          {readOnly && (
            <p class="muted" role="note">
              Your role can view tests but not start or stop them.
            </p>
          )}
        </div>
      </form>
      {active.value && (
        <TestLive
          key={active.value.meta.id}
          store={active.value}
          note={companion.value && (
            <p class="also" data-testid="also-path">
              Path test started alongside:{" "}
              <a href={`/tests/${encodeURIComponent(companion.value)}`}>
                {companion.value}
              </a>{" "}
              (hop by hop view)
            </p>
          )}
        />
      )}
    </div>
  );
}
