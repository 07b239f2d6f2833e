/**
 * Exact order statistics without a full sort: a multi-rank quickselect (Hoare's FIND, C. A. R.
 * Hoare, "Algorithm 65: Find", CACM 4(7), 1961, with three-way partitioning so that repeated
 * values, e.g. a metric constant across the run, cost one pass) on the values in place. After
 * `selectRanks(a, ranks)`, a[r] for every requested r is the value an ascending sort of `a` puts
 * at r: the same number, bit for bit (-0 orders before +0, as TypedArray sort does), so the
 * quantiles read from it (sortedQuantile) are identical to those of a full sort. Expected time
 * O(n log k) for k ranks instead of O(n log n), and no copy.
 */
type Values = Float32Array | Float64Array;

/** Ranges at or below this length are finished by insertion sort. */
const SMALL = 24;

/** x before y in ascending order, with -0 before +0 (NaN is not allowed in the values). */
function before(x: number, y: number): boolean {
  return x < y || (x === 0 && y === 0 && 1 / x < 1 / y);
}

function insertionSort(a: Values, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= lo && before(v, a[j]!)) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Median of three values, in the order `before` defines. */
function median3(x: number, y: number, z: number): number {
  if (before(x, y)) return before(y, z) ? y : before(x, z) ? z : x;
  return before(x, z) ? x : before(y, z) ? z : y;
}

/**
 * Places the order statistics of `a` at the positions `ranks` (any order, duplicates allowed,
 * each in 0 .. a.length - 1). `a` must hold no NaN. Positions not asked for are permuted.
 */
export function selectRanks(a: Values, ranks: readonly number[]): void {
  const want = [...new Set(ranks)].sort((x, y) => x - y);
  for (const r of want) {
    if (!Number.isInteger(r) || r < 0 || r >= a.length) throw new RangeError(`rank ${r} is outside 0 .. ${a.length - 1}`);
  }
  if (want.length === 0) return;
  // Ranges still to partition: [lo, hi) holding the wanted ranks want[rLo .. rHi).
  const stack: number[] = [0, a.length, 0, want.length];
  // Past this many partitions of one range (an unlucky pivot sequence) the range is sorted instead.
  const depthLimit = 4 * Math.ceil(Math.log2(a.length + 1)) + 8;
  while (stack.length) {
    let rHi = stack.pop()!;
    let rLo = stack.pop()!;
    let hi = stack.pop()!;
    let lo = stack.pop()!;
    let depth = 0;
    while (rLo < rHi) {
      if (hi - lo <= SMALL) {
        insertionSort(a, lo, hi);
        break;
      }
      if (++depth > depthLimit) {
        a.subarray(lo, hi).sort();
        break;
      }
      const p = median3(a[lo]!, a[(lo + hi) >>> 1]!, a[hi - 1]!);
      // Three-way partition: [lo, lt) before p, [lt, gt) equal to p, [gt, hi) after p.
      let lt = lo;
      let gt = hi;
      let i = lo;
      while (i < gt) {
        const v = a[i]!;
        if (before(v, p)) {
          a[i++] = a[lt]!;
          a[lt++] = v;
        } else if (before(p, v)) {
          a[i] = a[--gt]!;
          a[gt] = v;
        } else {
          i++;
        }
      }
      // Wanted ranks left of lt, inside [lt, gt) (done: they hold p), and from gt on.
      let m1 = rLo;
      while (m1 < rHi && want[m1]! < lt) m1++;
      let m2 = m1;
      while (m2 < rHi && want[m2]! < gt) m2++;
      // Continue with the left side, keep the right side for later.
      if (m2 < rHi) stack.push(gt, hi, m2, rHi);
      hi = lt;
      rHi = m1;
    }
  }
}

/** The positions type-7 quantiles at `probabilities` read from n sorted values (sortedQuantile). */
export function quantileRanks(n: number, probabilities: readonly number[]): number[] {
  if (n === 0) return [];
  const out: number[] = [];
  for (const p of probabilities) {
    const lo = Math.floor((n - 1) * p);
    out.push(lo, Math.min(lo + 1, n - 1));
  }
  return out;
}
