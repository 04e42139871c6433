// Runs every exported part in onnxruntime-node on the reference inputs export.py wrote
// (batch 1 and 2) and prints the max abs diff against the torch outputs; also checks the
// tokenizer.json loads in @huggingface/tokenizers and gives the Python ids.
//   node training/shapes/verify_onnx.mjs <model folder> <refs folder>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'package.json'));
const ort = require('onnxruntime-node');
const { Tokenizer } = await import('@huggingface/tokenizers');

const [folder, refs] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(join(refs, 'manifest.json'), 'utf8'));
const TYPED = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array };
const ORT_TYPE = { float32: 'float32', int64: 'int64', int32: 'int32' };

function load(spec) {
  const buf = readFileSync(join(refs, spec.file));
  const Ctor = TYPED[spec.dtype];
  const arr = new Ctor(buf.buffer, buf.byteOffset, buf.byteLength / Ctor.BYTES_PER_ELEMENT);
  return new ort.Tensor(ORT_TYPE[spec.dtype], Ctor.from(arr), spec.shape);
}

const sessions = {};
let worst = 0;
let failed = false;
for (const entry of manifest) {
  sessions[entry.part] ??= await ort.InferenceSession.create(join(folder, entry.part, 'model.onnx'));
  const session = sessions[entry.part];
  const feeds = {};
  for (const spec of entry.inputs) feeds[spec.name] = load(spec);
  const result = await session.run(feeds);
  let maxDiff = 0;
  let maxRef = 0;
  for (const spec of entry.outputs) {
    const want = load(spec).data;
    const got = result[spec.name];
    if (!got) throw new Error(`${entry.part}: no output ${spec.name}`);
    if (got.dims.join() !== spec.shape.join()) {
      throw new Error(`${entry.part}: ${spec.name} shape ${got.dims} != ${spec.shape}`);
    }
    for (let i = 0; i < want.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(got.data[i] - want[i]));
      maxRef = Math.max(maxRef, Math.abs(want[i]));
    }
  }
  const ok = maxDiff <= 1e-3 * Math.max(1, maxRef);
  failed ||= !ok;
  worst = Math.max(worst, maxDiff);
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${entry.part.padEnd(13)} batch ${entry.batch}: max abs diff ${maxDiff.toExponential(2)}` +
      ` (max |ref| ${maxRef.toFixed(3)}; inputs ${session.inputNames.join(', ')})`,
  );
}

// Tokenizer: ids without specials for a few captions vs the Python ids in word_ids.json form.
const tj = JSON.parse(readFileSync(join(folder, 'tokenizer', 'tokenizer.json'), 'utf8'));
const tc = JSON.parse(readFileSync(join(folder, 'tokenizer', 'tokenizer_config.json'), 'utf8'));
const tok = new Tokenizer(tj, tc);
const textIn = manifest.find((e) => e.part === 'text_encoder' && e.batch === 2);
if (textIn) {
  const ids = Array.from(load(textIn.inputs[0]).data, Number);
  const py = JSON.parse(readFileSync(join(refs, 'captions.json'), 'utf8'));
  py.forEach((caption, i) => {
    const body = tok.encode(caption, { add_special_tokens: false }).ids;
    const row = ids.slice(i * 77, i * 77 + 77);
    const expect = [row[0], ...body, row[body.length + 1]];
    const same = expect.every((v, j) => v === row[j]) && row[0] === tj.added_tokens[0].id;
    failed ||= !same;
    console.log(`${same ? 'ok  ' : 'FAIL'} tokenizer     ${JSON.stringify(caption)} → ${JSON.stringify(body)}`);
  });
}
console.log(`worst max abs diff ${worst.toExponential(2)}`);
if (failed) process.exit(1);
