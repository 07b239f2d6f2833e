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
    if ((b & 0x7fffffff) > 0x7f800000) continue; // NaN
    high[(b < 0 ? ~b : b | 0x80000000) >>> 16]!++;
    count++;
  }
  const ranks = [...new Set(ranksOf(count))].sort((x, y) => x - y);
  for (const r of ranks) {
    if (!Number.isInteger(r) || r < 0 || r >= count) throw new RangeError(`rank ${r} is outside 0 .. ${count - 1}`);
  }
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
    if ((b & 0x7fffffff) > 0x7f800000) continue;
    const key = b < 0 ? ~b : b | 0x80000000;
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
  for (const r of ranksOf(count)) {
    if (!Number.isInteger(r) || r < 0 || r >= count) throw new RangeError(`rank ${r} is outside 0 .. ${count - 1}`);
    at.set(r, sorted[r]!);
  }
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
