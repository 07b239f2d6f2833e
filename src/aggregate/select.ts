/**
 * Exact order statistics of f32 values without sorting them: two counting passes over the
 * values' bits (a most-significant-digit radix select with 16-bit digits).
 *
 * An f32's bits map to a 32-bit key whose unsigned order is the values' ascending order (negative
 * values: all bits flipped; others: the sign bit set), with -0 before +0 as TypedArray sort puts
 * them. The first pass counts the values per high 16 bits of the key, which gives the high half
 * of the key at every rank asked for; the second counts, for those high halves only, the low 16
 * bits, which gives the rest. A key is one value, so each order statistic is exactly the number a
 * full ascending sort puts at that rank. NaN (a sample without a value) is left out. Time: two
 * passes over the values whatever their distribution (ties and constants included); memory: the
 * counts, 256 KiB plus 256 KiB per distinct high half asked for, and no copy of the values.
 * Short lists (SORT_AT_MOST) are sorted instead: a copy of them is smaller than the counts.
 */

const DIGIT = 1 << 16;

/** The order statistics of a list of values: how many values count, and the value at each rank. */
export interface OrderStatistics {
  /** Values that are not NaN. */
  count: number;
  /** Rank (0-based, ascending) to value, for the ranks asked for. */
  at: Map<number, number>;
}

const word = new Int32Array(1);
const float = new Float32Array(word.buffer);

/** An f32's bits (as int32) that are a NaN. */
function isNaNBits(b: number): boolean {
  return (b & 0x7fffffff) > 0x7f800000;
}

/** The key of an f32's bits (as int32): unsigned order is the values' ascending order. */
function keyOf(b: number): number {
  return b < 0 ? ~b : b | 0x80000000;
}

/** The distinct ranks asked for, ascending, each checked to be one of `count` values. */
function checkedRanks(asked: readonly number[], count: number): number[] {
  const ranks = [...new Set(asked)].sort((x, y) => x - y);
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r >= count) throw new RangeError(`rank ${r} is outside 0 .. ${count - 1}`);
  }
  return ranks;
}

/** The f32 whose key is (hi << 16) | lo (the inverse of the key map above). */
function valueOfKey(hi: number, lo: number): number {
  const key = (hi << 16) | lo;
  word[0] = key < 0 ? key ^ 0x80000000 : ~key;
  return float[0]!;
}

/**
 * The values at the ascending ranks `ranksOf(count)` of the non-NaN values of `values` (each rank
 * in 0 .. count - 1). `values` is only read.
 */
export function orderStatistics(values: Float32Array, ranksOf: (count: number) => readonly number[]): OrderStatistics {
  if (values.length <= SORT_AT_MOST) return bySort(values, ranksOf);
  const bits = new Int32Array(values.buffer, values.byteOffset, values.length);
  const n = bits.length;
  const high = new Float64Array(DIGIT);
  let count = 0;
  for (let j = 0; j < n; j++) {
    const b = bits[j]!;
    if (isNaNBits(b)) continue;
    high[keyOf(b) >>> 16]!++;
    count++;
  }
  const ranks = checkedRanks(ranksOf(count), count);
  const at = new Map<number, number>();
  if (ranks.length === 0) return { count, at };

  // The high half of the key at each rank, and the rank within that high half.
  const hiOf: number[] = [];
  const within: number[] = [];
  let h = 0;
  let below = 0;
  for (const r of ranks) {
    while (below + high[h]! <= r) below += high[h++]!;
    hiOf.push(h);
    within.push(r - below);
  }
  const slotOf = new Int32Array(DIGIT).fill(-1);
  let slots = 0;
  for (const hi of hiOf) if (slotOf[hi] === -1) slotOf[hi] = slots++;
  const low = new Float64Array(slots * DIGIT);
  for (let j = 0; j < n; j++) {
    const b = bits[j]!;
    if (isNaNBits(b)) continue;
    const key = keyOf(b);
    const s = slotOf[key >>> 16]!;
    if (s >= 0) low[s * DIGIT + (key & 0xffff)]!++;
  }
  ranks.forEach((r, k) => {
    const base = slotOf[hiOf[k]!]! * DIGIT;
    let l = 0;
    let c = 0;
    while (c + low[base + l]! <= within[k]!) c += low[base + l++]!;
    at.set(r, valueOfKey(hiOf[k]!, l));
  });
  return { count, at };
}

/**
 * Up to this many values a sort of a copy is cheaper than the counting passes, whose count arrays
 * (256 KiB, and as much again per distinct high half asked for) dwarf a small list: a sweep of
 * many cells at a few thousand samples each asks for thousands of small selections.
 */
const SORT_AT_MOST = 1 << 16;

/** orderStatistics by sorting a copy of the non-NaN values (the same values at the same ranks). */
function bySort(values: Float32Array, ranksOf: (count: number) => readonly number[]): OrderStatistics {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort();
  const count = sorted.length;
  const at = new Map<number, number>();
  for (const r of checkedRanks(ranksOf(count), count)) at.set(r, sorted[r]!);
  return { count, at };
}

/** The ranks type-7 quantiles at `probabilities` read from n sorted values (sortedQuantile). */
export function quantileRanks(n: number, probabilities: readonly number[]): number[] {
  if (n === 0) return [];
  const out: number[] = [];
  for (const p of probabilities) {
    const lo = Math.floor((n - 1) * p);
    out.push(lo, Math.min(lo + 1, n - 1));
  }
  return out;
}

/**
 * The order statistics as the sparse sorted list sortedQuantile reads: `length` is the count and
 * the ranks asked for hold their values.
 */
export function sortedView(stats: OrderStatistics): ArrayLike<number> {
  const view: Record<number, number> & { length: number } = { length: stats.count };
  for (const [r, v] of stats.at) view[r] = v;
  return view;
}

/**
 * The same order statistics of values that arrive in pieces and are not kept: the two counting
 * passes above, each over a pass of the run that produces them (the engines give the same values
 * in the same order every time a plan's sample range is run). Per (cell, metric) pair:
 *
 * - pass 1 (`first`): counts per high 16 bits of the key (256 KiB), the f64 sum of the values in
 *   sample order, and how many are at or below each threshold asked for;
 * - between the passes (`choose`): the ranks wanted, from the count, and the high half (bucket)
 *   that holds each;
 * - pass 2 (`second`): the values of the chosen buckets, kept when a bucket holds at most
 *   COLLECT_AT_MOST of them (then sorted: at most 64 KiB), else counted by their low 16 bits
 *   (256 KiB), and the sum of squared deviations from the mean, in sample order.
 *
 * Memory: 256 KiB per pair plus at most 256 KiB per distinct bucket asked for, whatever the number
 * of values. The mean and variance are those summarize computes from every value (the same f64
 * additions in the same order), and every order statistic is the value a full sort puts there.
 */
export class StreamingOrderStatistics {
  private readonly high: Uint32Array[];
  private readonly sums: Float64Array;
  private readonly counts: Float64Array;
  private readonly atMost: Float64Array[];
  private readonly squares: Float64Array;
  /** Values seen in pass 2 (pass 1's count, when the passes agree). */
  private readonly again: Float64Array;
  private means: Float64Array | null = null;
  /** Per pair after `choose`: the ranks, and per chosen bucket its slot (high[h] = slot + 1). */
  private chosen: { ranks: number[]; slots: Bucket[] }[] | null = null;

  /** `thresholds[pair]`: the x of P(value <= x) wanted for that pair (may be empty). */
  constructor(
    readonly pairs: number,
    private readonly thresholds: readonly (readonly number[])[] = [],
  ) {
    this.high = Array.from({ length: pairs }, () => new Uint32Array(DIGIT));
    this.sums = new Float64Array(pairs);
    this.counts = new Float64Array(pairs);
    this.squares = new Float64Array(pairs);
    this.again = new Float64Array(pairs);
    this.atMost = Array.from({ length: pairs }, (_, i) => new Float64Array(thresholds[i]?.length ?? 0));
  }

  /** Pass 1: the next values of every pair (NaN: no value), in sample order. */
  first(values: readonly Float32Array[]): void {
    if (this.chosen) throw new Error('the first pass is over');
    for (let i = 0; i < this.pairs; i++) {
      const v = values[i]!;
      const bits = new Int32Array(v.buffer, v.byteOffset, v.length);
      const high = this.high[i]!;
      let s = this.sums[i]!;
      let m = 0;
      for (let j = 0; j < bits.length; j++) {
        const b = bits[j]!;
        if (isNaNBits(b)) continue;
        high[keyOf(b) >>> 16]!++;
        s += v[j]!;
        m++;
      }
      this.sums[i] = s;
      this.counts[i] = this.counts[i]! + m;
      const xs = this.thresholds[i];
      if (xs?.length) {
        const below = this.atMost[i]!;
        for (let j = 0; j < v.length; j++) {
          const x = v[j]!;
          for (let k = 0; k < xs.length; k++) if (x <= xs[k]!) below[k]!++;
        }
      }
    }
  }

  /**
   * Ends pass 1: `ranksOf(pair, count)` gives the ascending ranks (0 .. count - 1) wanted of the
   * pair's `count` values.
   */
  choose(ranksOf: (pair: number, count: number) => readonly number[]): void {
    if (this.chosen) throw new Error('the ranks are chosen already');
    this.means = Float64Array.from(this.sums, (s, i) => (this.counts[i]! ? s / this.counts[i]! : NaN));
    this.chosen = this.high.map((high, i) => {
      const count = this.counts[i]!;
      const ranks = checkedRanks(ranksOf(i, count), count);
      const slots: Bucket[] = [];
      let h = 0;
      let below = 0;
      for (const r of ranks) {
        while (below + high[h]! <= r) below += high[h++]!;
        const last = slots[slots.length - 1];
        if (last?.hi === h) last.ranks.push(r);
        else slots.push({ hi: h, below, size: high[h]!, ranks: [r], kept: null, fill: 0, low: null });
      }
      // The counts are done with: the array now maps a bucket to its slot + 1 (0: not chosen).
      high.fill(0);
      slots.forEach((slot, k) => {
        high[slot.hi] = k + 1;
        if (slot.size <= COLLECT_AT_MOST) slot.kept = new Float32Array(slot.size);
        else slot.low = new Uint32Array(DIGIT);
      });
      return { ranks, slots };
    });
  }

  /** Pass 2: the same values as pass 1, in the same order. */
  second(values: readonly Float32Array[]): void {
    if (!this.chosen || !this.means) throw new Error('choose the ranks before the second pass');
    for (let i = 0; i < this.pairs; i++) {
      const v = values[i]!;
      const bits = new Int32Array(v.buffer, v.byteOffset, v.length);
      const slotOf = this.high[i]!;
      const slots = this.chosen[i]!.slots;
      const mean = this.means[i]!;
      let ss = this.squares[i]!;
      let m = 0;
      for (let j = 0; j < bits.length; j++) {
        const b = bits[j]!;
        if (isNaNBits(b)) continue;
        const x = v[j]!;
        ss += (x - mean) ** 2;
        m++;
        const key = keyOf(b);
        const s = slotOf[key >>> 16]!;
        if (s === 0) continue;
        const slot = slots[s - 1]!;
        if (slot.kept) {
          if (slot.fill === slot.size) throw new Error('the second pass gave other values than the first');
          slot.kept[slot.fill++] = x;
        } else {
          slot.low![key & 0xffff]!++;
          slot.fill++;
        }
      }
      this.squares[i] = ss;
      this.again[i] = this.again[i]! + m;
    }
  }

  /** After pass 2: each pair's count, mean, variance, order statistics and threshold counts. */
  result(): ExactDigest[] {
    if (!this.chosen || !this.means) throw new Error('no second pass yet');
    return this.chosen.map(({ slots }, i) => {
      if (this.again[i] !== this.counts[i]) throw new Error('the second pass gave other values than the first');
      const at = new Map<number, number>();
      for (const slot of slots) {
        if (slot.fill !== slot.size) throw new Error('the second pass gave other values than the first');
        if (slot.kept) {
          slot.kept.sort();
          for (const r of slot.ranks) at.set(r, slot.kept[r - slot.below]!);
        } else {
          const low = slot.low!;
          let l = 0;
          let c = slot.below;
          for (const r of slot.ranks) {
            while (c + low[l]! <= r) c += low[l++]!;
            at.set(r, valueOfKey(slot.hi, l));
          }
        }
      }
      const count = this.counts[i]!;
      return {
        order: { count, at },
        mean: this.means![i]!,
        variance: count > 1 ? this.squares[i]! / (count - 1) : NaN,
        atMost: Array.from(this.atMost[i]!),
      };
    });
  }
}

/**
 * Values a chosen bucket may hold and still be kept in pass 2 (4 bytes each, a quarter of the
 * 2^16 counters of its low digits, and quick to sort: sorting kept buckets of 2^16 values took
 * as long as a pass over the values); a fuller bucket (a narrow peak, a constant) is counted
 * instead.
 */
export const COLLECT_AT_MOST = DIGIT / 4;

/**
 * The most bytes StreamingOrderStatistics takes per pair of `values` values with `ranks` ranks
 * asked for: pass 1's counts (256 KiB), and in pass 2 at most 256 KiB per chosen bucket, which is
 * also at most 4 bytes per value (a bucket is kept when it holds up to 2^14 values, counted in
 * 2^16 counters when it holds more).
 */
export function streamingBytesPerPair(ranks: number, values = Infinity): number {
  return 4 * DIGIT + Math.min(4 * DIGIT * ranks, 4 * values);
}

/** One chosen bucket: the ranks it holds, and its values kept or their low digits counted. */
interface Bucket {
  hi: number;
  /** Values in the buckets before it. */
  below: number;
  size: number;
  ranks: number[];
  kept: Float32Array | null;
  fill: number;
  low: Uint32Array | null;
}

/** What an exact run reports of one (cell, metric) without keeping its values. */
export interface ExactDigest {
  /** `order.count` values that are not NaN, and the values at the ranks asked for. */
  order: OrderStatistics;
  /** f64 mean, and the variance about it (n - 1 in the denominator; NaN under 2 values). */
  mean: number;
  variance: number;
  /** Per threshold x asked for, the number of values <= x. */
  atMost: number[];
}
