// Puts what the static studio serves beside the app, never committed twice:
//  - onnxruntime-web's wasm runtimes → public/ort/ (the worker sets wasmPaths = '/ort/'),
//    copied from node_modules so they always match the installed version;
//  - the model folders in models/ → public/models/ (served same-origin as /models/...).
// Runs on install, before dev and before build.
import { cpSync, mkdirSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
if (!existsSync(dist)) {
  console.error(`prepare-public: ${dist} not found; run npm install first`);
  process.exit(1);
}
const ortOut = join(root, 'public', 'ort');
mkdirSync(ortOut, { recursive: true });
const wanted = readdirSync(dist).filter((f) => /^ort-wasm-simd-threaded(\.asyncify|\.jsep)?\.(mjs|wasm)$/.test(f));
for (const f of wanted) cpSync(join(dist, f), join(ortOut, f));

const modelsOut = join(root, 'public', 'models');
rmSync(modelsOut, { recursive: true, force: true });
// READMEs and the quality reports (models/*/eval/) are for people reading the repo, not for the app.
const served = (src) => !src.endsWith('.md') && !/[\\/]eval([\\/]|$)/.test(src);
cpSync(join(root, 'models'), modelsOut, { recursive: true, filter: served });
console.log(`prepare-public: ${wanted.length} runtime files → public/ort/, models/ → public/models/`);
