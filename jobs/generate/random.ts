// A small seeded random source, written here so generated data is identical for a seed (Math.random cannot be
// seeded). sfc32 (Chris Doty-Humphrey's small fast counting generator, 128-bit state) is fast and good enough
// for simulation; each person, product and seller gets its own stream derived from (seed, kind, index), so any
// row can be regenerated without replaying the others. A 32-bit-state generator such as mulberry32 is not
// enough here: its streams are one sequence at different offsets, so a million people's streams overlap.
// Ids never come from the random streams: uniqueId() starts with the sequence number, hence is unique.

/** A 32-bit integer hash (the finaliser of MurmurHash3): spreads nearby inputs far apart. */
export function mix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * 32 lower-case hex digits, like the Olist ids (md5-looking), for the n-th entity of a kind. The first 8 digits
 * are n itself, so ids are unique and ascend in generation order: the keys then reach the B-trees already
 * sorted, which makes building the primary keys and validating the foreign keys after the load several times
 * cheaper than with fully random ids. The other 24 digits are a hash of (seed, kind, n).
 */
export function uniqueId(seed: number, kind: number, n: number): string {
  const salt = mix32(seed ^ Math.imul(kind + 1, 0x9e3779b9));
  const a = mix32(n ^ salt);
  const b = mix32(a + 0x68e31da4);
  const c = mix32(b ^ salt);
  return hex8(n) + hex8(a) + hex8(b) + hex8(c);
}

// Number.toString(16) + padStart dominated the whole generator's profile; a byte table is ~10x faster.
const hexByte = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex8(value: number): string {
  return hexByte[value >>> 24] + hexByte[(value >>> 16) & 255] + hexByte[(value >>> 8) & 255] + hexByte[value & 255];
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** The stream of the index-th entity of a kind: distinct (seed, kind, index) start from distinct states. */
  constructor(seed: number, kind: number, index: number) {
    this.a = mix32(seed) ^ 0x9e3779b9;
    this.b = Math.imul(kind + 1, 0x243f6a88);
    this.c = index | 0;
    this.d = 1;
    // Warm up so that seeds differing in one bit give unrelated streams.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** sfc32 step: a uniformly distributed unsigned 32-bit integer. */
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
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Exponential with the given rate (inverse transform). */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** Standard normal (Box–Muller; the second value is dropped so the stream position stays simple). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with the given median and log-scale spread: heavy right tail. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Gamma(shape, scale) by Marsaglia & Tsang (2000); shape < 1 through the boost Gamma(shape + 1) * U^(1/shape). */
  gamma(shape: number, scale: number): number {
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.next(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a, 1);
    return x / (x + this.gamma(b, 1));
  }
}
