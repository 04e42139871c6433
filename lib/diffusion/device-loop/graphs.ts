/**
 * The helper graphs of the GPU-resident loop, described for lib/onnx/graph-build. Each is
 * elementwise work that would otherwise pull a tensor back to JS: scaling the latents into
 * the U-Net's input (and its dtype), CFG + guidance rescale + the scheduler's linear step,
 * joining the two prompt embeddings, and placing a host tensor on the device once.
 * The math is the TypeScript pipeline's (guidance.ts, the schedulers' LinearStep), so
 * tests/unit/device-loop compares these graphs with it on onnxruntime-node.
 */
import { buildModel, type BuildType, type ConstantSpec, type GraphSpec, type NodeSpec, type ValueSpec } from '../../onnx/graph-build/build';

const FLOAT = 1;
const FLOAT16 = 10;
/** Rank-4 latents [batch, channels, height, width], dims left symbolic: one graph serves every size. */
const LATENT = ['b', 'c', 'h', 'w'];

function castTo(type: BuildType, input: string, output: string): NodeSpec {
  if (type !== 'float32' && type !== 'float16') throw new Error(`helper graphs produce float32 or float16, not ${type}`);
  return { op: 'Cast', inputs: [input], outputs: [output], attributes: { to: type === 'float16' ? FLOAT16 : FLOAT } };
}

/** `sample` = x·scale, repeated `batch` times along axis 0 (CFG's two halves), in the U-Net's dtype. */
export function scaleInputGraph(batch: 1 | 2, outType: BuildType): Uint8Array {
  const nodes: NodeSpec[] = [{ op: 'Mul', inputs: ['x', 'scale'], outputs: ['scaled'] }];
  let last = 'scaled';
  if (batch === 2) {
    nodes.push({ op: 'Concat', inputs: ['scaled', 'scaled'], outputs: ['both'], attributes: { axis: 0 } });
    last = 'both';
  }
  nodes.push(castTo(outType, last, 'sample'));
  return buildModel({
    name: `lantern_scale_input_b${batch}_${outType}`,
    inputs: [
      { name: 'x', type: 'float32', shape: LATENT },
      { name: 'scale', type: 'float32', shape: [1] },
    ],
    outputs: [{ name: 'sample', type: outType, shape: ['n', 'c', 'h', 'w'] }],
    nodes,
  });
}

/** `y` = x in another dtype (or the same): how a host tensor is placed on the device once. */
export function placeGraph(inType: BuildType, outType: BuildType, rank: number): Uint8Array {
  const shape = Array.from({ length: rank }, (_, i) => `d${i}`);
  return buildModel({
    name: `lantern_place_${inType}_${outType}_r${rank}`,
    inputs: [{ name: 'x', type: inType, shape }],
    outputs: [{ name: 'y', type: outType, shape }],
    nodes: [inType === outType ? { op: 'Identity', inputs: ['x'], outputs: ['y'] } : castTo(outType, 'x', 'y')],
  });
}

/** `y` = [a; b] along axis 0, in `outType`: the negative and positive prompt embeddings as one CFG batch. */
export function concatGraph(inType: BuildType, outType: BuildType): Uint8Array {
  const shape = ['n', 's', 'd'];
  return buildModel({
    name: `lantern_concat_${inType}_${outType}`,
    inputs: [
      { name: 'a', type: inType, shape },
      { name: 'b', type: inType, shape },
    ],
    outputs: [{ name: 'y', type: outType, shape: ['m', 's', 'd'] }],
    nodes: [{ op: 'Concat', inputs: ['a', 'b'], outputs: ['ab'], attributes: { axis: 0 } }, castTo(outType, 'ab', 'y')],
  });
}

/** Each `x_i` × `scale`: ControlNet residuals for exports without a conditioning_scale input (onnx-web). */
export function scaleEachGraph(count: number, type: BuildType): Uint8Array {
  const inputs: ValueSpec[] = Array.from({ length: count }, (_, i) => ({ name: `x${i}`, type, shape: [`b${i}`, `c${i}`, `h${i}`, `w${i}`] }));
  const nodes: NodeSpec[] = [];
  if (type !== 'float32') nodes.push(castTo(type, 'scale', 'scale_t'));
  const s = type === 'float32' ? 'scale' : 'scale_t';
  for (let i = 0; i < count; i++) nodes.push({ op: 'Mul', inputs: [`x${i}`, s], outputs: [`y${i}`] });
  return buildModel({
    name: `lantern_scale_each_${count}_${type}`,
    inputs: [...inputs, { name: 'scale', type: 'float32', shape: [1] }],
    outputs: inputs.map((v, i) => ({ ...v, name: `y${i}` })),
    nodes,
  });
}

export interface StepGraphOptions {
  /** The U-Net's output is [uncond; cond] and CFG combines it with `guidance_scale`. */
  cfg: boolean;
  /** Guidance rescale (φ = `guidance_rescale`) after CFG; only with cfg. */
  rescale: boolean;
  /** History registers of the scheduler's linear form. */
  registers: number;
  /** The U-Net output's dtype. */
  epsType: BuildType;
}

/** The buffers of a LinearStep in the step graph's coefficient order (rows: outputs, columns: these). */
export const STEP_BUFFERS = (registers: number) => ['sample', 'model', 'noise', ...Array.from({ length: registers }, (_, j) => `r${j}`)];
export const STEP_OUTPUTS = (registers: number) => ['prev_sample', 'pred_original_sample', ...Array.from({ length: registers }, (_, j) => `r${j}_next`)];

/** Unbiased std over all elements (torch.std), as guidance.ts computes it. */
function stdNodes(x: string, out: string): NodeSpec[] {
  const p = `${out}_`;
  return [
    { op: 'ReduceMean', inputs: [x], outputs: [`${p}mean`], attributes: { keepdims: 1 } },
    { op: 'Sub', inputs: [x, `${p}mean`], outputs: [`${p}dev`] },
    { op: 'Mul', inputs: [`${p}dev`, `${p}dev`], outputs: [`${p}sq`] },
    { op: 'ReduceSum', inputs: [`${p}sq`], outputs: [`${p}ss`], attributes: { keepdims: 1 } },
    { op: 'Size', inputs: [x], outputs: [`${p}n`] },
    castTo('float32', `${p}n`, `${p}nf`),
    { op: 'Sub', inputs: [`${p}nf`, 'one'], outputs: [`${p}n1`] },
    { op: 'Div', inputs: [`${p}ss`, `${p}n1`], outputs: [`${p}var`] },
    { op: 'Sqrt', inputs: [`${p}var`], outputs: [out] },
  ];
}

/**
 * CFG (eps_u + g·(eps_c − eps_u)), guidance rescale, then one scheduler step as a matrix:
 * [prev; x0; r'…] = coef · [x; ε; z; r…], each row a flattened latent. `coef` is the
 * LinearStep's terms laid out row-major (STEP_OUTPUTS × STEP_BUFFERS).
 */
export function stepGraph(o: StepGraphOptions): Uint8Array {
  const R = o.registers;
  const rows = 2 + R;
  const cols = 3 + R;
  const nodes: NodeSpec[] = [];
  const inputs: ValueSpec[] = [
    { name: 'eps', type: o.epsType, shape: ['n', 'c', 'h', 'w'] },
    { name: 'sample', type: 'float32', shape: LATENT },
    { name: 'noise', type: 'float32', shape: LATENT },
    ...Array.from({ length: R }, (_, j): ValueSpec => ({ name: `r${j}`, type: 'float32', shape: LATENT })),
    { name: 'coef', type: 'float32', shape: [rows * cols] },
  ];
  let eps = 'eps';
  if (o.epsType !== 'float32') {
    nodes.push(castTo('float32', 'eps', 'eps32'));
    eps = 'eps32';
  }
  let model = eps;
  if (o.cfg) {
    inputs.push({ name: 'guidance_scale', type: 'float32', shape: [1] });
    nodes.push(
      { op: 'Split', inputs: [eps, 'halves'], outputs: ['eps_u', 'eps_c'], attributes: { axis: 0 } },
      { op: 'Sub', inputs: ['eps_c', 'eps_u'], outputs: ['eps_d'] },
      { op: 'Mul', inputs: ['eps_d', 'guidance_scale'], outputs: ['eps_gd'] },
      { op: 'Add', inputs: ['eps_u', 'eps_gd'], outputs: ['guided'] },
    );
    model = 'guided';
    if (o.rescale) {
      inputs.push({ name: 'guidance_rescale', type: 'float32', shape: [1] });
      nodes.push(
        ...stdNodes('eps_c', 'std_c'),
        ...stdNodes('guided', 'std_g'),
        { op: 'Div', inputs: ['std_c', 'std_g'], outputs: ['ratio'] },
        { op: 'Mul', inputs: ['guided', 'ratio'], outputs: ['g_ratio'] },
        { op: 'Mul', inputs: ['g_ratio', 'guidance_rescale'], outputs: ['g_part'] },
        { op: 'Sub', inputs: ['one', 'guidance_rescale'], outputs: ['keep'] },
        { op: 'Mul', inputs: ['guided', 'keep'], outputs: ['k_part'] },
        { op: 'Add', inputs: ['g_part', 'k_part'], outputs: ['rescaled'] },
      );
      model = 'rescaled';
    }
  }
  const buffers = ['sample', model, 'noise', ...Array.from({ length: R }, (_, j) => `r${j}`)];
  buffers.forEach((b, k) => nodes.push({ op: 'Reshape', inputs: [b, 'row'], outputs: [`flat${k}`] }));
  const outs = STEP_OUTPUTS(R);
  nodes.push(
    { op: 'Concat', inputs: buffers.map((_, k) => `flat${k}`), outputs: ['stack'], attributes: { axis: 0 } },
    { op: 'Reshape', inputs: ['coef', 'coef_shape'], outputs: ['coef_m'] },
    { op: 'MatMul', inputs: ['coef_m', 'stack'], outputs: ['mixed'] },
    { op: 'Split', inputs: ['mixed', 'ones'], outputs: outs.map((n) => `${n}_flat`), attributes: { axis: 0 } },
    { op: 'Shape', inputs: ['sample'], outputs: ['latent_shape'] },
    ...outs.map((n): NodeSpec => ({ op: 'Reshape', inputs: [`${n}_flat`, 'latent_shape'], outputs: [n] })),
  );
  const used = new Set(nodes.flatMap((n) => n.inputs));
  const spec: GraphSpec = {
    name: `lantern_step_${o.cfg ? 'cfg' : 'nocfg'}${o.rescale ? '_rescale' : ''}_r${R}_${o.epsType}`,
    inputs,
    outputs: outs.map((name) => ({ name, type: 'float32', shape: LATENT })),
    nodes,
    initializers: (
      [
        { name: 'row', type: 'int64', dims: [2], values: [1, -1] },
        { name: 'coef_shape', type: 'int64', dims: [2], values: [rows, cols] },
        { name: 'ones', type: 'int64', dims: [rows], values: Array(rows).fill(1) },
        { name: 'halves', type: 'int64', dims: [2], values: [1, 1] },
        { name: 'one', type: 'float32', dims: [], values: [1] },
      ] satisfies ConstantSpec[]
    ).filter((init) => used.has(init.name)),
  };
  return buildModel(spec);
}

/**
 * latentPreviewRgba (lib/tensor/image.ts) on the device: the first three latent channels, each
 * stretched over its own range to 0…255, as RGBA bytes [h, w, 4] — a quarter of the bytes of
 * the fp32 latents it replaces. Takes [1, C ≥ 3, h, w].
 */
export function previewRgbaGraph(): Uint8Array {
  return buildModel({
    name: 'lantern_preview_rgba',
    inputs: [{ name: 'x', type: 'float32', shape: [1, 'c', 'h', 'w'] }],
    outputs: [{ name: 'rgba', type: 'uint8', shape: ['h', 'w', 4] }],
    nodes: [
      { op: 'Slice', inputs: ['x', 'starts', 'ends', 'axes'], outputs: ['rgb'] },
      { op: 'ReduceMin', inputs: ['rgb'], outputs: ['lo'], attributes: { axes: [2, 3], keepdims: 1 } },
      { op: 'ReduceMax', inputs: ['rgb'], outputs: ['hi'], attributes: { axes: [2, 3], keepdims: 1 } },
      { op: 'Sub', inputs: ['hi', 'lo'], outputs: ['span0'] },
      // a flat channel spans 1, as latentPreviewRgba has it
      { op: 'Equal', inputs: ['span0', 'zero'], outputs: ['flat'] },
      { op: 'Where', inputs: ['flat', 'one', 'span0'], outputs: ['span'] },
      { op: 'Sub', inputs: ['rgb', 'lo'], outputs: ['shifted'] },
      { op: 'Div', inputs: ['shifted', 'span'], outputs: ['unit'] },
      { op: 'Mul', inputs: ['unit', 'full'], outputs: ['levels'] },
      { op: 'Round', inputs: ['levels'], outputs: ['rounded'] },
      { op: 'Squeeze', inputs: ['rounded', 'batch_axis'], outputs: ['chw'] },
      { op: 'Shape', inputs: ['chw'], outputs: ['chw_shape'] },
      { op: 'Slice', inputs: ['chw_shape', 'one_i', 'three_i', 'zero_i'], outputs: ['hw'] },
      { op: 'Concat', inputs: ['one_i', 'hw'], outputs: ['alpha_shape'], attributes: { axis: 0 } },
      { op: 'Expand', inputs: ['full', 'alpha_shape'], outputs: ['alpha'] },
      { op: 'Concat', inputs: ['chw', 'alpha'], outputs: ['chw4'], attributes: { axis: 0 } },
      { op: 'Transpose', inputs: ['chw4'], outputs: ['hwc'], attributes: { perm: [1, 2, 0] } },
      { op: 'Cast', inputs: ['hwc'], outputs: ['rgba'], attributes: { to: 2 } },
    ],
    initializers: [
      { name: 'starts', type: 'int64', dims: [1], values: [0] },
      { name: 'ends', type: 'int64', dims: [1], values: [3] },
      { name: 'axes', type: 'int64', dims: [1], values: [1] },
      { name: 'batch_axis', type: 'int64', dims: [1], values: [0] },
      { name: 'zero_i', type: 'int64', dims: [1], values: [0] },
      { name: 'one_i', type: 'int64', dims: [1], values: [1] },
      { name: 'three_i', type: 'int64', dims: [1], values: [3] },
      { name: 'zero', type: 'float32', dims: [], values: [0] },
      { name: 'one', type: 'float32', dims: [], values: [1] },
      { name: 'full', type: 'float32', dims: [1], values: [255] },
    ],
  });
}
