// One row of the benchmark table and the markdown rendering of all rows.

export interface BenchRow {
  /** Benchmark name, e.g. "1 Accuracy". */
  bench: string;
  /** What is measured, e.g. "median RTT error (µs)". */
  figure: string;
  ours: string;
  /** The peer's figure, with its name ("ping 12.3"), or "—" when there is none. */
  peer: string;
  /** ours / peer, or "—". */
  ratio: string;
  target: string;
  /** "met", "missed (...)", "—" (no target) or "skipped: why". */
  verdict: string;
}

/** A row for a benchmark that could not run here; says why. */
export function skippedRows(bench: string, why: string): BenchRow[] {
  return [{
    bench,
    figure: "(all)",
    ours: "n/a",
    peer: "n/a",
    ratio: "—",
    target: "—",
    verdict: `skipped: ${why}`,
  }];
}

/** ours / peer with 2 significant decimals; "—" when either is missing or the peer is 0. */
export function ratio(ours: number | null, peer: number | null): string {
  if (ours === null || peer === null || !Number.isFinite(ours)) return "—";
  if (peer === 0) return ours === 0 ? "1.00" : "—";
  return (ours / peer).toFixed(2);
}

/** A number with a fixed count of decimals, or "n/a". */
export function num(x: number | null | undefined, decimals = 1): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? "n/a"
    : x.toFixed(decimals);
}

/** "met" when ok, else "missed" with how far off. */
export function verdict(ok: boolean | null, miss = ""): string {
  if (ok === null) return "—";
  return ok ? "met" : `missed${miss ? ` (${miss})` : ""}`;
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

export function markdownTable(rows: BenchRow[]): string {
  const head = [
    "Benchmark",
    "Figure",
    "This project",
    "Peer (same run)",
    "Ratio",
    "Target",
    "Verdict",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
  ];
  for (const r of rows) {
    lines.push(
      `| ${
        [r.bench, r.figure, r.ours, r.peer, r.ratio, r.target, r.verdict].map(
          cell,
        ).join(" | ")
      } |`,
    );
  }
  return lines.join("\n");
}
