/**
 * The site `npm run bench` serves: the static export (out/) plus the bare
 * onnxruntime-web page under /bench-bare/ (bench/bare/, bundled with esbuild, which tsx brings)
 * and the captured U-Net feeds. One origin, one scripts/serve-static.mjs: COOP/COEP for both.
 */
import { copyFile, cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { serializeFeeds, type RawFeed } from './unet-feeds';

export const BARE_PATH = '/bench-bare/';

export async function prepareSite(outDir: string, feeds: readonly RawFeed[]): Promise<{ root: string; remove: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'lantern-bench-'));
  const out = resolve(outDir);
  // The big folders (runtime, models, chunks) linked; the pages copied, since the server hashes
  // their inline scripts for the CSP from real files (scripts/csp.mjs exportScriptHashes).
  for (const entry of await readdir(out, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith('_not-found')) await symlink(join(out, entry.name), join(root, entry.name));
    else await cp(join(out, entry.name), join(root, entry.name), { recursive: true });
  }
  const bare = join(root, BARE_PATH);
  await mkdir(bare);
  await copyFile('bench/bare/index.html', join(bare, 'index.html'));
  // The same package entry the studio's worker imports, so the same build (ort.wasm.bundle.min.mjs).
  await build({
    entryPoints: { page: 'bench/bare/page.ts', worker: 'bench/bare/worker.ts' },
    outdir: bare,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'warning',
  });
  const { index, bin } = serializeFeeds(feeds);
  await writeFile(join(bare, 'feeds.json'), JSON.stringify(index));
  await writeFile(join(bare, 'feeds.bin'), bin);
  return { root, remove: () => rm(root, { recursive: true, force: true }) };
}
