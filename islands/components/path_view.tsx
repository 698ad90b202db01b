// The path (mtr-like) view of a test in mode "path": per target, a table of
// its hops (one row per hop, each row the hop's latest record, with an RTT
// sparkline), where loss starts, whether the destination was reached, and the
// route changes. Live from `hop` / `route_change` events, final from `path`.
import type { TestTarget } from "../../model/run.ts";
import type { HopRecord } from "../../model/path.ts";
import type { LiveStore } from "../client/live_store.ts";
import { notForwardingHops, type PathState } from "../client/path_state.ts";
import { fmtMs, fmtPct, fmtTime } from "./format.ts";
import { Sparkline } from "./sparkline.tsx";

export const NOT_FORWARDING =
  "This router rate-limits (or drops) its own ICMP replies to probes addressed to it, " +
  "but forwards traffic: the hops after it do not show this loss, so the path itself does not lose packets here.";

const RTT_COLUMNS: [string, string, (h: HopRecord) => string, string?][] = [
  ["last", "Last", (h) => fmtMs(h.last_rtt_ms)],
  ["avg", "Avg", (h) => fmtMs(h.avg_rtt_ms)],
  ["best", "Best", (h) => fmtMs(h.min_rtt_ms)],
  ["worst", "Worst", (h) => fmtMs(h.max_rtt_ms)],
  ["stdev", "StDev", (h) => fmtMs(h.stdev_ms), "opt"],
  ["jitter", "Jitter", (h) => fmtMs(h.jitter_ms), "opt"],
];

export function PathView({ store }: { store: LiveStore }) {
  return (
    <div class="paths" data-testid="path-view">
      {store.meta.targets.map((t, slot) => (
        <PathCard
          key={t.id}
          target={t}
          path={store.paths![slot]}
          running={store.running}
        />
      ))}
    </div>
  );
}

function PathCard(
  { target, path, running }: {
    target: TestTarget;
    path: PathState;
    running: boolean;
  },
) {
  const hops = path.hops.value;
  const origin = path.lossOrigin;
  const dest = path.destinationHop;
  // Without the final verdict (a test cut short), what the hops showed last.
  const final = path.summary.value !== null || !running;
  const quiet = notForwardingHops(hops, dest);
  return (
    <article class="card path" data-target={target.id}>
      <h3>
        {target.name}{" "}
        <small class="muted">{target.address ?? target.host}</small>
      </h3>
      <p class="path-verdict" data-testid="path-verdict">
        <span
          class={`badge ${
            dest !== null ? "v-good" : final ? "v-poor" : "v-waiting"
          }`}
          data-testid="destination"
        >
          {dest !== null
            ? `destination reached at hop ${dest}`
            : final
            ? "destination not reached"
            : "destination not reached yet"}
        </span>{" "}
        <span data-testid="loss-origin-text">
          {origin !== null
            ? `Loss starts at hop ${origin}${final ? "" : " (so far)"}.`
            : !hops.length
            ? "Waiting for the first hop report…"
            : dest === null
            ? `No answer after hop ${lastAnswered(hops)}.`
            : "No loss reaches the destination."}
        </span>
      </p>
      <div class="table-wrap path-wrap">
        <table class="hops" data-testid="hops">
          <caption>Hops to {target.name}</caption>
          <thead>
            <tr>
              <th scope="col" class="num">Hop</th>
              <th scope="col">Address</th>
              <th scope="col" class="num">Loss</th>
              <th scope="col" class="num">Sent</th>
              {RTT_COLUMNS.map(([col, label, , cls]) => (
                <th scope="col" class={`num ${cls ?? ""}`} data-col={col}>
                  {label}
                </th>
              ))}
              <th scope="col" class="spark-col">RTT</th>
            </tr>
          </thead>
          <tbody>
            {hops.map((h) => (
              <HopRow
                key={h.hop}
                h={h}
                path={path}
                origin={h.hop === origin}
                quiet={quiet.has(h.hop)}
              />
            ))}
          </tbody>
        </table>
      </div>
      {quiet.size > 0 && (
        <p class="path-note muted" data-testid="not-forwarding-note">
          <strong>Not forwarding loss</strong> (hop {[...quiet].join(", ")}):
          {" "}
          {NOT_FORWARDING}
        </p>
      )}
      <RouteChanges path={path} />
    </article>
  );
}

/** The last hop that answered at all (0 when none has). */
const lastAnswered = (hops: readonly HopRecord[]) =>
  hops.reduce((n, h) => h.received > 0 ? Math.max(n, h.hop) : n, 0);

function HopRow(
  { h, path, origin, quiet }: {
    h: HopRecord;
    path: PathState;
    origin: boolean;
    quiet: boolean;
  },
) {
  const [first, ...more] = h.hop_addresses;
  return (
    <tr
      data-hop={h.hop}
      class={origin ? "loss-origin" : undefined}
      data-origin={origin ? "true" : undefined}
    >
      <th scope="row" class="num">{h.hop}</th>
      <td class="host" data-col="address">
        {first
          ? <HostName address={first.address} name={first.name} />
          : <span class="muted">no reply</span>}
        {origin && (
          <span class="badge v-poor" data-testid="origin-badge">
            loss starts here
          </span>
        )}
        {quiet && (
          <span
            class="badge v-fair"
            data-testid="not-forwarding"
            title={NOT_FORWARDING}
          >
            not forwarding loss
          </span>
        )}
        {more.length > 0 && (
          <ul class="ecmp" aria-label="Also answered at this hop (ECMP)">
            {more.map((a) => (
              <li key={a.address}>
                <HostName address={a.address} name={a.name} />
              </li>
            ))}
          </ul>
        )}
      </td>
      <td class={`num${h.loss_pct > 0 ? " lossy" : ""}`} data-col="loss">
        {fmtPct(h.loss_pct)}
      </td>
      <td class="num" data-col="sent">{h.sent}</td>
      {RTT_COLUMNS.map(([col, , cell, cls]) => (
        <td class={`num ${cls ?? ""}`} data-col={col}>{cell(h)}</td>
      ))}
      <td class="spark-col">
        <Sparkline
          path={path}
          hop={h.hop}
          label={`Last round-trip time of hop ${h.hop} at each report`}
        />
      </td>
    </tr>
  );
}

function HostName({ address, name }: { address: string; name: string | null }) {
  return (
    <span class="hop-host">
      <code>{address}</code>
      {name && name !== address && <small class="muted">{name}</small>}
    </span>
  );
}

function RouteChanges({ path }: { path: PathState }) {
  const changes = path.changes.value;
  if (!changes.length) return null;
  return (
    <section class="route-changes" aria-label="Route changes">
      <h4>Route changes</h4>
      <ul data-testid="route-changes">
        {changes.map((c) => (
          <li key={`${c.timestamp}-${c.hop}`} data-hop={c.hop}>
            <time dateTime={c.timestamp}>{fmtTime(c.timestamp)}</time> hop{" "}
            {c.hop}: <code>{c.from ?? "none"}</code> → <code>{c.to}</code>
          </li>
        ))}
      </ul>
    </section>
  );
}
