// A finished test's charts as the page sees them: the range shown (null: the
// whole test) and its series from the server, sized to the chart's width.
// Zooming asks the server for the range's detail; the overview is kept, so
// resetting the zoom draws it again without asking.
import { batch, signal } from "@preact/signals";
import type { SeriesResponse } from "../../model/series.ts";
import { fetchSeries, type Range } from "./series_fetch.ts";
import { hrefWithRange } from "./zoom_url.ts";

export class SeriesStore {
  /** The range asked for; null: the whole test. */
  readonly range = signal<Range | null>(null);
  readonly data = signal<SeriesResponse | null>(null);
  readonly loading = signal(false);
  readonly error = signal<string | null>(null);
  /** Buckets per request: about the chart's width in pixels. */
  points = 1000;
  #overview: SeriesResponse | null = null;
  #asked = 0;

  constructor(readonly id: string) {}

  /** Shows `range` (null: the overview); a later call wins over one in flight. */
  async show(range: Range | null): Promise<void> {
    const asked = ++this.#asked;
    if (!range && this.#overview) {
      const overview = this.#overview;
      batch(() => {
        this.range.value = null;
        this.data.value = overview;
        this.loading.value = false;
        this.error.value = null;
      });
      return;
    }
    batch(() => {
      this.range.value = range;
      this.loading.value = true;
    });
    try {
      const data = await fetchSeries(this.id, range, this.points);
      if (asked !== this.#asked) return;
      if (!range) this.#overview = data;
      batch(() => {
        this.data.value = data;
        this.loading.value = false;
        this.error.value = null;
      });
    } catch (e) {
      if (asked !== this.#asked) return;
      batch(() => {
        this.loading.value = false;
        this.error.value = (e as Error).message;
      });
    }
  }

  /** Zooms to `range` and records it in the URL (a new history entry). */
  zoom(range: Range | null): void {
    history.pushState(null, "", hrefWithRange(location.href, range));
    this.show(range);
  }
}
