// One run's results at the agent until the service acknowledges them: records
// numbered from 1, kept in memory up to `memMax`, past that appended to a file
// in the buffer directory (when given) and read back in order as the memory
// empties. More than `max` unacknowledged records: full (the run is stopped
// rather than anything dropped silently).
import type { ProbeRecord } from "../model/probe.ts";

export interface Numbered {
  seq: number;
  record: ProbeRecord;
}

export class BufferFullError extends Error {}

export class ResultBuffer {
  /** The last seq handed out. */
  lastSeq = 0;
  /** The service has every seq up to this one. */
  acked = 0;
  readonly #mem: Numbered[] = [];
  /** Records in the spill file not yet read back. */
  #spilled = 0;
  #spillRead = 0;
  readonly #file?: string;

  constructor(
    readonly max: number,
    readonly memMax: number,
    dir?: string,
    name = "run",
  ) {
    this.#file = dir ? `${dir}/${name}.jsonl` : undefined;
  }

  /** Records held, acknowledged or not yet. */
  get unacked(): number {
    return this.lastSeq - this.acked;
  }

  push(record: ProbeRecord): void {
    if (this.unacked >= this.max) {
      throw new BufferFullError(
        `result buffer full: ${this.max} records not acknowledged by the service`,
      );
    }
    const n = { seq: ++this.lastSeq, record };
    if (this.#file && (this.#spilled > 0 || this.#mem.length >= this.memMax)) {
      // Append-only; read back in order once memory has room.
      Deno.writeTextFileSync(this.#file, JSON.stringify(n) + "\n", {
        append: true,
      });
      this.#spilled++;
      return;
    }
    if (!this.#file && this.#mem.length >= this.memMax) {
      throw new BufferFullError(
        `result buffer full: ${this.memMax} records in memory and no --buffer-dir`,
      );
    }
    this.#mem.push(n);
  }

  /** Up to `n` records after the acknowledged ones, oldest first. */
  next(n: number): Numbered[] {
    this.#refill();
    return this.#mem.slice(0, n);
  }

  /** The service has every record up to `seq`: let them go. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = Math.min(seq, this.lastSeq);
    let k = 0;
    while (k < this.#mem.length && this.#mem[k].seq <= this.acked) k++;
    this.#mem.splice(0, k);
  }

  #refill(): void {
    if (!this.#file || this.#spilled === 0 || this.#mem.length > 0) return;
    const lines = Deno.readTextFileSync(this.#file).split("\n");
    const take = lines.slice(this.#spillRead, this.#spillRead + this.memMax)
      .filter((l) => l);
    for (const l of take) this.#mem.push(JSON.parse(l));
    this.#spillRead += take.length;
    this.#spilled -= take.length;
    if (this.#spilled === 0) {
      Deno.removeSync(this.#file);
      this.#spillRead = 0;
    }
  }

  /** Removes the spill file. */
  dispose(): void {
    if (!this.#file) return;
    try {
      Deno.removeSync(this.#file);
    } catch { /* never written */ }
  }
}
