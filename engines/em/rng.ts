// Deterministic randomness keyed by (seed, query, purpose): a rerun, or a run that changes an
// unrelated parameter, draws the same numbers for the same query and purpose.
import { createHash } from 'node:crypto';

/** sha256 over the parts joined by NUL (no part contains NUL in practice; ids are text). */
export function digest(parts: readonly (string | number | boolean)[]): Buffer {
  return createHash('sha256').update(parts.map(String).join('\u0000')).digest();
}

/** A stable identifier from the given parts: 32 hex characters (128 bits) of their sha256. */
export function stableId(parts: readonly (string | number | boolean)[]): string {
  return digest(parts).toString('hex').slice(0, 32);
}

/** A uniform [0, 1) generator: sfc32 seeded with the first 128 bits of sha256(parts). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(parts: readonly (string | number | boolean)[]) {
    const h = digest(parts);
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    // Discard a few outputs so the state mixes (sfc32's usual warm-up).
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** k distinct indices from [0, n) in random order, O(k) time and memory (sparse Fisher–Yates). */
  pick(n: number, k: number): number[] {
    const take = Math.min(k, n);
    const swapped = new Map<number, number>();
    const out: number[] = [];
    for (let i = 0; i < take; i++) {
      const j = i + this.int(n - i);
      const vj = swapped.get(j) ?? j;
      swapped.set(j, swapped.get(i) ?? i);
      out.push(vj);
    }
    return out;
  }
}
