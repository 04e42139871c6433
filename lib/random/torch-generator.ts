/**
 * Reproduces `torch.Generator('cpu').manual_seed(seed)` for float32 `torch.randn` and
 * `torch.rand`, so a seed gives the same initial latents as diffusers on CPU.
 * Algorithm (torch ATen CPU kernels), see tests/fixtures/random/torch-randn.json:
 * - randn, n < 16: serial `normal_distribution<double>`, 53-bit uniforms, with a cached
 *   second normal that lives in the generator across calls of any size.
 * - randn, n >= 16: `normal_fill` — float uniforms, Box–Muller in blocks of 16, and a
 *   redo of the last 16 elements with fresh uniforms when n % 16 != 0.
 * torch's AVX2 kernel uses float32 log/sin/cos approximations; double math here agrees to
 * ~1.5e-6 absolute (exact for n < 16), which is what the tests allow.
 */
import { MT19937, seedLow32 } from './mt19937';
import type { NoiseSource } from './noise-source';

const TWO_PI = 2 * Math.PI;
const INV_2_24 = 1 / 16777216; // 2**-24
const INV_2_53 = 1 / 9007199254740992; // 2**-53
const TWO_32 = 4294967296;

export class TorchGenerator implements NoiseSource {
  private readonly engine: MT19937;
  /** torch's `next_double_normal_sample`: the sin half of the last serial Box–Muller. */
  private cachedNormal: number | null = null;
  private seedValue: number | bigint;

  constructor(seed: number | bigint) {
    seedLow32(seed); // validate before touching state; throws RangeError
    this.seedValue = seed;
    this.engine = new MT19937(seed);
  }

  /** The seed as given (only its low 32 bits affect the stream, as in torch). */
  get seed(): number | bigint {
    return this.seedValue;
  }

  /** Like `manual_seed`: restarts the stream and drops the cached normal. */
  manualSeed(seed: number | bigint): this {
    this.engine.seed(seed);
    this.seedValue = seed;
    this.cachedNormal = null;
    return this;
  }

  /** `torch.randn((n,), generator=g, dtype=torch.float32)`; the shape does not matter. */
  randn(n: number): Float32Array {
    checkCount(n, 'randn');
    const out = new Float32Array(n);
    if (n < 16) {
      for (let i = 0; i < n; i++) out[i] = this.normalDouble();
      return out;
    }
    for (let i = 0; i < n; i++) out[i] = this.floatUniform();
    for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i);
    if (n % 16 !== 0) {
      const start = n - 16;
      for (let i = 0; i < 16; i++) out[start + i] = this.floatUniform();
      boxMuller16(out, start);
    }
    return out;
  }

  /** `torch.rand((n,), generator=g, dtype=torch.float32)`: uniforms in [0, 1). */
  rand(n: number): Float32Array {
    checkCount(n, 'rand');
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.floatUniform();
    return out;
  }

  /** `uniform_real_distribution<float>`: low 24 bits of one word, exact in float32. */
  private floatUniform(): number {
    return (this.engine.nextU32() & 0xffffff) * INV_2_24;
  }

  /** `uniform_real_distribution<double>`: 53 bits of two words, first word high. */
  private doubleUniform(): number {
    const hi = this.engine.nextU32() & 0x1fffff; // (w1 << 32 | w2) & (2**53 - 1)
    const lo = this.engine.nextU32();
    return (hi * TWO_32 + lo) * INV_2_53;
  }

  /** `at::normal_distribution<double>` with mean 0, std 1. */
  private normalDouble(): number {
    if (this.cachedNormal !== null) {
      const v = this.cachedNormal;
      this.cachedNormal = null;
      return v;
    }
    const u1 = this.doubleUniform();
    const u2 = this.doubleUniform();
    const r = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = TWO_PI * u1;
    this.cachedNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/** torch's `normal_fill_16`: in place on d[i..i+15]. */
function boxMuller16(d: Float32Array, i: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - d[i + j]; // exact: d is a multiple of 2**-24 in [0, 1)
    const u2 = d[i + j + 8];
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = TWO_PI * u2;
    d[i + j] = r * Math.cos(theta);
    d[i + j + 8] = r * Math.sin(theta);
  }
}

function checkCount(n: number, fn: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`TorchGenerator.${fn}: count must be a non-negative integer, got ${n}`);
  }
}
