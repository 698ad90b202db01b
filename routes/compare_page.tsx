// GET /compare?tests=ID1,ID2: finished tests side by side (the Compare island
// draws their distributions and loss; the tables are rendered here too).
import type { TargetReport, TestMeta } from "../model/run.ts";
import Compare from "../islands/Compare.tsx";
import { Island } from "./island.tsx";
import type { Page } from "./layout.tsx";

/** Tests on one compare page, at most (each adds a line to both charts). */
export const MAX_COMPARED = 8;

export function comparePage(
  tests: { meta: TestMeta; reports: TargetReport[] | null }[],
): Page {
  return {
    title: `Compare ${tests.map((t) => t.meta.id).join(", ")}`,
    nav: "history",
    script: "tests.js",
    body: (
      <>
        <div class="page-title">
          <h1>Compare {tests.length} tests</h1>
          <p class="no-print">
            <a href="/tests">← All tests</a>
          </p>
        </div>
        <Island name="Compare" component={Compare} props={{ tests }} />
      </>
    ),
  };
}

/**
 * The ids of `?tests=` (comma-separated, or the parameter repeated, as the
 * history page's form sends it), or why they cannot be compared.
 */
export function compareIds(values: string[]): string[] | string {
  const ids = [
    ...new Set(values.flatMap((v) => v.split(",")).map((s) => s.trim())),
  ].filter(Boolean);
  if (ids.length < 2) {
    return "tests: choose at least two tests to compare (?tests=ID1,ID2)";
  }
  if (ids.length > MAX_COMPARED) {
    return `tests: at most ${MAX_COMPARED} tests can be compared at once`;
  }
  return ids;
}
