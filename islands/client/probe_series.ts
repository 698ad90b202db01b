// The RTT chart's data of one target, shared by the live store and the quality series.
/** RTT points of one target in probe order; lost probes have rtt null and a marker. */
export interface ProbeSeries {
  index: number[];
  /** Send time, seconds since the epoch (uPlot's time unit). */
  x: number[];
  rtt: (number | null)[];
  lost: (number | null)[];
  /** Lost probes so far (the markers). */
  lostCount: number;
}
