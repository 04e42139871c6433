/**
 * A stream of standard-normal draws. The pipeline and the stochastic schedulers take
 * noise only through this, so a seed fixes every draw and tests can inject their own.
 * `randn(n)` must behave like `torch.randn((n,), generator=g)` on the stream's state
 * (torch's fill algorithm depends only on the element count, not on the shape).
 */
export interface NoiseSource {
  randn(n: number): Float32Array;
}
