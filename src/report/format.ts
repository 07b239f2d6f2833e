/** Number formatting shared by the text reports. */

/** Four significant digits; exponent form only for very large or very small magnitudes. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? '-' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e9 || a < 1e-3) return x.toExponential(3).replace(/\.?0+e/, 'e');
  if (a >= 1e4) return Math.round(x).toLocaleString('en-US');
  return String(Number(x.toPrecision(4)));
}

export function pct(x: number): string {
  return `${Number((x * 100).toPrecision(3))}%`;
}

/**
 * Aligns columns: by default the first to the left and the others to the right (numbers);
 * `align` gives one letter per column, 'l' or 'r'.
 */
export function table(rows: string[][], header?: string[], align?: string): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const r of all) r.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const left = (i: number) => (align ? align[i] === 'l' : i === 0);
  const line = (r: string[]) =>
    r.map((cell, i) => (left(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return out.join('\n');
}

/** A CSV field, quoted when it needs to be (RFC 4180). */
export function csvField(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
