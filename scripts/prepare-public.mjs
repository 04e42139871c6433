// Puts what the static studio serves beside the app, never committed twice:
//  - onnxruntime-web's runtime files → public/ort/ (the worker sets wasmPaths = '/ort/'),
//    copied from node_modules so they always match the installed version: the .mjs/.wasm pair
//    each build lib/onnx/web.ts imports names (`onnxruntime-web/webgpu`: the asyncify pair,
//    `onnxruntime-web/wasm`: the plain one), read from the bundles themselves;
//  - the model folders in models/ → public/models/ (served same-origin as /models/...).
// Runs on install, before dev and before build.
import { cpSync, mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
if (!existsSync(dist)) {
  console.error(`prepare-public: ${dist} not found; run npm install first`);
  process.exit(1);
}
// The builds the worker imports (lib/onnx/web.ts), as the bundler resolves them (package.json exports).
const BUILDS = ['./webgpu', './wasm'];
const pkg = JSON.parse(readFileSync(join(root, 'node_modules', 'onnxruntime-web', 'package.json'), 'utf8'));
const wanted = new Set();
for (const build of BUILDS) {
  const entry = pkg.exports?.[build]?.import?.default;
  if (typeof entry !== 'string') {
    console.error(`prepare-public: onnxruntime-web has no import for "${build}"`);
    process.exit(1);
  }
  const names = new Set(readFileSync(join(root, 'node_modules', 'onnxruntime-web', entry), 'latin1').match(/ort-wasm[\w.-]*?\.(?:mjs|wasm)\b/g));
  if (![...names].some((n) => n.endsWith('.mjs')) || ![...names].some((n) => n.endsWith('.wasm'))) {
    console.error(`prepare-public: ${entry} names no runtime .mjs/.wasm (${[...names].join(', ') || 'none'}): has onnxruntime-web changed its layout?`);
    process.exit(1);
  }
  for (const n of names) wanted.add(n);
}
const ortOut = join(root, 'public', 'ort');
// Only this version's files: one left from an older install would be served (and cached) for nothing.
rmSync(ortOut, { recursive: true, force: true });
mkdirSync(ortOut, { recursive: true });
for (const f of wanted) cpSync(join(dist, f), join(ortOut, f));

const modelsOut = join(root, 'public', 'models');
rmSync(modelsOut, { recursive: true, force: true });
// READMEs and the quality reports (models/*/eval/) are for people reading the repo, not for the app.
const served = (src) => !src.endsWith('.md') && !/[\\/]eval([\\/]|$)/.test(src);
cpSync(join(root, 'models'), modelsOut, { recursive: true, filter: served });
console.log(`prepare-public: ${wanted.size} runtime files → public/ort/ (${[...wanted].sort().join(', ')}), models/ → public/models/`);
