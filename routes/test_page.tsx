// GET /tests/{id}: one test, live or finished; prints as a report.
import type { LatestTls } from "../model/probe.ts";
import type { TargetReport, TestMeta } from "../model/run.ts";
import TestView from "../islands/TestView.tsx";
import { fmtTime } from "../islands/components/format.ts";
import { Island } from "./island.tsx";
import type { Page } from "./layout.tsx";

export function testPage(
  meta: TestMeta,
  reports: TargetReport[] | null,
  url: string,
  readOnly: boolean,
  tls?: (LatestTls | null)[],
): Page {
  const targets = meta.targets.map((t) => t.name).join(", ");
  return {
    title: `Test ${meta.id}`,
    nav: null,
    script: "tests.js",
    body: (
      <>
        <div class="page-title">
          <h1>{targets}</h1>
          <p class="no-print">
            <a href="/tests">← All tests</a>
          </p>
        </div>
        <div class="print-only">
          <p>
            packet-loss-analyzer report · {url} · finished{" "}
            {fmtTime(meta.finished_at)}
          </p>
        </div>
        <Island
          name="TestView"
          component={TestView}
          props={{ meta, reports, readOnly, ...(tls ? { tls } : {}) }}
        />
      </>
    ),
  };
}
