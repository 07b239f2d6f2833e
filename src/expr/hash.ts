/**
 * FNV-1a, 64-bit, over the UTF-8 bytes of a text: a stable key for caching pipelines compiled
 * from generated shader source. Not cryptographic. Parameters from the FNV reference,
 * http://www.isthe.com/chongo/tech/comp/fnv/ (offset basis 14695981039346656037, prime 2^40 + 2^8 + 0xb3).
 */
const FNV64_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV64_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/** The hash as 16 lowercase hex digits. */
export function exprHash(text: string): string {
  let hash = FNV64_OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * FNV64_PRIME) & MASK_64;
  }
  return hash.toString(16).padStart(16, '0');
}
