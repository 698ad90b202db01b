/**
 * A growing multiset of numbers kept in ascending order. New values wait in a
 * small buffer and are merged in when the sorted view is asked for, so each
 * read costs the sort of what was added since the last one plus one backward
 * merge that moves only the values above the smallest new one.
 */
/** Up to this many new values are inserted one by one, more are merged. */
const FEW = 16;

export class SortedSamples {
  #sorted = new Float64Array(1024);
  #size = 0;
  #fresh: number[] = [];

  get size(): number {
    return this.#size + this.#fresh.length;
  }

  add(value: number): void {
    this.#fresh.push(value);
  }

  /** Every value in ascending order (as Float64Array.prototype.sort orders them); valid until the next add. */
  view(): Float64Array {
    const k = this.#fresh.length;
    if (k > 0) this.#merge(k);
    return this.#sorted.subarray(0, this.#size);
  }

  #merge(k: number): void {
    const fresh = Float64Array.from(this.#fresh).sort();
    this.#fresh.length = 0;
    let a = this.#sorted;
    const n = this.#size;
    if (n + k > a.length) {
      const grown = new Float64Array(Math.max(2 * a.length, n + k));
      grown.set(a.subarray(0, n));
      this.#sorted = a = grown;
    }
    if (k <= FEW) {
      // A few new values: binary search and one memmove each.
      let size = n;
      for (let j = 0; j < k; j++) {
        const x = fresh[j];
        let lo = 0;
        let hi = size;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (a[mid] > x) hi = mid;
          else lo = mid + 1;
        }
        a.copyWithin(lo + 1, lo, size);
        a[lo] = x;
        size++;
      }
      this.#size = size;
      return;
    }
    let i = n - 1;
    let j = k - 1;
    for (let w = n + k - 1; j >= 0; w--) {
      a[w] = i >= 0 && a[i] > fresh[j] ? a[i--] : fresh[j--];
    }
    this.#size = n + k;
  }
}
