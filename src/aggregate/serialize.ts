/**
 * Plain data (plans, partials) to JSON and back without losing a bit: numbers JSON cannot carry
 * (Infinity, -Infinity, NaN, -0) and typed arrays become tagged objects, typed arrays as the
 * base64 of their little-endian bytes. What goes in comes out identical, so sums and histogram
 * counts written by one process merge in another exactly as they would have in memory.
 */

const ARRAYS = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
} as const;
type ArrayTag = keyof typeof ARRAYS;

function tagOf(x: object): ArrayTag | null {
  for (const [tag, ctor] of Object.entries(ARRAYS) as [ArrayTag, (typeof ARRAYS)[ArrayTag]][]) {
    if (x instanceof ctor) return tag;
  }
  return null;
}

const b64 = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

/**
 * Mostly-zero f64 arrays (histogram counts) as the positions and values of their non-zeros: a
 * sweep's histograms would otherwise be megabytes of zeros. Null when that is not shorter.
 */
function sparseOf(a: Float64Array): Record<string, unknown> | null {
  let nz = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], 0)) nz++;
  if (a.length < 64 || nz * 12 >= a.length * 8 || a.length > 2 ** 32 - 1) return null;
  const at = new Uint32Array(nz);
  const values = new Float64Array(nz);
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], 0)) continue;
    at[k] = i;
    values[k++] = a[i]!;
  }
  return { $f64sparse: { length: a.length, at: b64(at), values: b64(values) } };
}

/** A JSON-safe copy of `value` (see the file comment). */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { $number: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) {
    if (value instanceof Float64Array) {
      const sparse = sparseOf(value);
      if (sparse) return sparse;
    }
    const tag = tagOf(value);
    if (!tag) throw new TypeError(`cannot serialize a ${value.constructor.name}`);
    return { [`$${tag}`]: b64(value) };
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
  return out;
}

/** Thrown by fromJsonValue with the path of the value it could not read. */
export class DecodeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Inverse of toJsonValue; `path` names the place in errors. */
export function fromJsonValue(value: unknown, path = ''): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => fromJsonValue(v, `${path}[${i}]`));
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [k, v] = entries[0]!;
    if (k === '$number') {
      const n = v === '-0' ? -0 : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : undefined;
      if (n === undefined) throw new DecodeError(path, `expected "Infinity", "-Infinity", "NaN" or "-0", got ${JSON.stringify(v)}`);
      return n;
    }
    if (k === '$f64sparse') {
      const o = v as Record<string, unknown> | null;
      const length = o?.['length'];
      if (typeof o !== 'object' || o === null || !Number.isSafeInteger(length) || (length as number) < 0) {
        throw new DecodeError(path, 'expected { length, at, values }');
      }
      const at = fromJsonValue({ $u32: o['at'] }, path) as Uint32Array;
      const values = fromJsonValue({ $f64: o['values'] }, path) as Float64Array;
      if (at.length !== values.length) throw new DecodeError(path, `expected as many positions as values, got ${at.length} and ${values.length}`);
      const out = new Float64Array(length as number);
      for (let i = 0; i < at.length; i++) {
        if (at[i]! >= out.length) throw new DecodeError(path, `position ${at[i]} is past the length ${out.length}`);
        out[at[i]!] = values[i]!;
      }
      return out;
    }
    if (k.startsWith('$') && k.slice(1) in ARRAYS) {
      const ctor = ARRAYS[k.slice(1) as ArrayTag];
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new DecodeError(path, 'expected base64 text');
      const bytes = Buffer.from(v, 'base64');
      if (bytes.byteLength % ctor.BYTES_PER_ELEMENT !== 0) {
        throw new DecodeError(path, `expected a multiple of ${ctor.BYTES_PER_ELEMENT} bytes, got ${bytes.byteLength}`);
      }
      // Copy into a fresh, aligned buffer.
      const out = new ctor(bytes.byteLength / ctor.BYTES_PER_ELEMENT);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) out[k] = fromJsonValue(v, path ? `${path}.${k}` : k);
  return out;
}
