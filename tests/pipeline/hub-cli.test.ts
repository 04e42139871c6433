/**
 * `npm run generate -- --model owner/repo…` against a local Hub emulator: huggingface_hub's cache
 * layout, offline runs, resumed and corrupted downloads, gated repos, and a cache Python filled.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubCacheDir, hubSource, snapshotDownload } from '@/cli/hf-cache';
import { HubClient, HubHttpError } from '@/lib/hub/client';
import { loadModelFolder } from '@/lib/models/load-folder';
import { generateArgs } from '../helpers/generate-args';
import { fakeCommit, startHubEmulator, type HubEmulator } from '../helpers/hub-emulator';

const run = promisify(execFile);
const REPLICAS = 'models/fixtures/replicas';
const REPO = 'lantern/diffusers-script-sd15';
const COMMIT = fakeCommit(REPO);
const TOKEN = 'hf_emulatortoken';
const REF = JSON.parse(await readFile('tests/fixtures/replicas/diffusers-script-sd15.txt2img-ddim.json', 'utf8'));

let hub: HubEmulator;
let dir: string;

const startHub = () =>
  startHubEmulator({
    repos: [
      { id: REPO, folder: `${REPLICAS}/diffusers-script-sd15` },
      { id: 'lantern/optimum-sd-turbo', folder: `${REPLICAS}/optimum-sd-turbo` },
      { id: 'lantern/replicas', folder: REPLICAS },
      { id: 'lantern/gated-sd15', folder: `${REPLICAS}/diffusers-script-sd15`, token: TOKEN },
    ],
    lfsThreshold: 100_000,
    pageSize: 4,
  });

beforeAll(async () => {
  hub = await startHub();
  dir = await mkdtemp(join(tmpdir(), 'lantern-hub-'));
});
afterAll(async () => {
  await hub?.stop();
});

async function cli(model: string, env: Record<string, string>, name: string) {
  const p = REF.params;
  const out = join(dir, `${name}.png`);
  const raw = join(dir, `${name}.json`);
  const args = generateArgs(model, p, out, raw);
  const t0 = performance.now();
  const { stderr } = await run('npx', ['tsx', 'cli/generate.ts', ...args], {
    env: { ...process.env, HF_TOKEN: '', HF_HUB_OFFLINE: '', ...env },
    timeout: 120_000,
  });
  const ms = performance.now() - t0;
  const got = JSON.parse(await readFile(raw, 'utf8')) as { data: number[] };
  let worst = 0;
  got.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - REF.image.data[i]))));
  return { stderr, worst, ms };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('generate CLI with --model owner/repo', () => {
  const home = () => join(dir, 'hf-home');

  it('downloads into the huggingface_hub cache layout and matches torch', async () => {
    const r = await cli(REPO, { HF_ENDPOINT: hub.endpoint, HF_HOME: home() }, 'online');
    expect(r.worst).toBeLessThanOrEqual(2e-3);
    const repoDir = join(home(), 'hub', 'models--lantern--diffusers-script-sd15');
    expect((await readFile(join(repoDir, 'refs', 'main'), 'utf8')).trim()).toBe(COMMIT);
    const emulated = hub.repos.get(REPO)!;
    for (const f of emulated.files.values()) {
      const pointer = join(repoDir, 'snapshots', COMMIT, f.path);
      expect((await lstat(pointer)).isSymbolicLink()).toBe(true);
      const target = await readlink(pointer);
      expect(target.startsWith('..')).toBe(true); // relative, as huggingface_hub writes it
      expect(resolve(dirname(pointer), target)).toBe(join(repoDir, 'blobs', f.lfs ? f.sha256 : f.oid));
      expect(sha256(await readFile(pointer))).toBe(f.sha256);
    }
    // LFS bytes came from the CDN origin, which never saw the token header
    const cdn = hub.log.filter((l) => l.origin === 'cdn');
    expect(cdn.length).toBe([...emulated.files.values()].filter((f) => f.lfs).length);
    expect(cdn.every((l) => l.authorization === undefined)).toBe(true);
    // not a TTY: no redrawn progress, one summary line
    expect(r.stderr).not.toMatch(/\r/);
    const summary = r.stderr.split('\n').filter((l) => l.startsWith(`${REPO}:`));
    expect(summary).toEqual([expect.stringMatching(new RegExp(`^${REPO}: ${emulated.files.size} files, [\\d.]+ kB; fetched [\\d.]+ kB in [\\d.]+ s`))]);
    console.log(`online run: ${r.ms.toFixed(0)} ms`);
  }, 120_000);

  it('HF_HUB_OFFLINE=1 runs from the cache with the Hub stopped; offline without a cache names what is missing', async () => {
    await hub.stop();
    try {
      const r = await cli(REPO, { HF_ENDPOINT: hub.endpoint, HF_HOME: home(), HF_HUB_OFFLINE: '1' }, 'offline');
      expect(r.worst).toBeLessThanOrEqual(2e-3);
      expect(r.stderr).not.toMatch(/fetched/); // nothing came over the network: no download line
      console.log(`cached offline run: ${r.ms.toFixed(0)} ms`);
      const err = await cli('lantern/optimum-sd-turbo', { HF_ENDPOINT: hub.endpoint, HF_HOME: home(), HF_HUB_OFFLINE: '1' }, 'x').catch((e) => e);
      expect(err.stderr).toMatch(/HF_HUB_OFFLINE=1, and the cache has no .*models--lantern--optimum-sd-turbo\/refs\/main/);
      // Hub unreachable but cached: falls back with a warning, as huggingface_hub does
      const down = await cli(REPO, { HF_ENDPOINT: hub.endpoint, HF_HOME: home() }, 'unreachable');
      expect(down.stderr).toMatch(/the Hub is unreachable .*using the cached snapshot/);
    } finally {
      hub = await startHub();
    }
  }, 120_000);

  it('a gated repo names HF_TOKEN, and works with it', async () => {
    const env = { HF_ENDPOINT: hub.endpoint, HF_HOME: home() };
    const err = await cli('lantern/gated-sd15', env, 'gated').catch((e) => e);
    expect(err.code).toBe(1);
    expect(err.stderr).toMatch(/lantern\/gated-sd15 is gated or private.*HTTP 401 GatedRepo.*set HF_TOKEN .*Authorization: Bearer/);
    const wrong = await cli('lantern/gated-sd15', { ...env, HF_TOKEN: 'hf_other' }, 'gated').catch((e) => e);
    expect(wrong.stderr).toMatch(/HTTP 403 .*the token in HF_TOKEN has no access/);
    const ok = await cli('lantern/gated-sd15', { ...env, HF_TOKEN: TOKEN }, 'gated-ok');
    expect(ok.worst).toBeLessThanOrEqual(2e-3);
  }, 120_000);

  it('a refused --model value names the argument', async () => {
    const err = await cli('lantern/x@', { HF_ENDPOINT: hub.endpoint, HF_HOME: home() }, 'bad').catch((e) => e);
    expect(err.stderr).toMatch(/--model "lantern\/x@" is not a Hub reference owner\/repo\[@revision\]\[:subfolder\]: the revision after "@" is empty/);
  });
});

describe('the Hub cache (in process)', () => {
  const fresh = async (name: string) => join(await mkdtemp(join(dir, `${name}-`)), 'hub');
  const client = () => new HubClient({ endpoint: hub.endpoint });
  const ref = { repo: REPO, revision: 'main', subfolder: '' };
  const WEIGHTS = 'unet/weights.pb';

  it('finds the cache as huggingface_hub does', () => {
    expect(hubCacheDir({ HF_HUB_CACHE: '/c', HF_HOME: '/h' })).toBe('/c');
    expect(hubCacheDir({ HF_HOME: '/h' })).toBe('/h/hub');
    expect(hubCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/huggingface/hub');
    expect(hubCacheDir({}).endsWith('/.cache/huggingface/hub')).toBe(true);
  });

  it('resumes a cut download with Range and verifies it; a 500 is retried', async () => {
    const cacheDir = await fresh('resume');
    hub.clearFaults();
    hub.cutOnce(WEIGHTS, 100_000);
    hub.failOnce('tokenizer/vocab.json', 500);
    const start = hub.log.length;
    const r = await snapshotDownload({ ref, client: client(), cacheDir });
    const log = hub.log
      .slice(start)
      .filter((l) => l.method === 'GET' && l.origin === 'cdn' && hub.repos.get(REPO)!.files.get(WEIGHTS)!.sha256 === l.path.split('/').pop());
    expect(log.map((l) => l.range)).toEqual([undefined, 'bytes=100000-']);
    const size = hub.repos.get(REPO)!.files.get(WEIGHTS)!.bytes.length;
    expect(log[1].bytes).toBe(size - 100_000);
    expect(
      hub.log
        .slice(start)
        .filter((l) => l.path.endsWith('tokenizer/vocab.json'))
        .map((l) => l.status),
    ).toEqual([500, 200]);
    expect(sha256(await readFile(join(r.folder, WEIGHTS)))).toBe(hub.repos.get(REPO)!.files.get(WEIGHTS)!.sha256);
    console.log(`resume: cut at 100000 of ${size} bytes; re-requested ${log[1].bytes} bytes (Range: ${log[1].range})`);
  });

  it('a stalled download is aborted after stallTimeoutMs and resumed with Range', async () => {
    const cacheDir = await fresh('stall');
    const file = hub.repos.get(REPO)!.files.get(WEIGHTS)!;
    hub.clearFaults();
    hub.stallOnce(WEIGHTS, 50_000); // 50 000 bytes, then silence until the client gives up
    const warnings: string[] = [];
    const seen: number[] = [];
    const start = hub.log.length;
    const r = await snapshotDownload({
      ref,
      client: client(),
      cacheDir,
      stallTimeoutMs: 300,
      onWarning: (w) => warnings.push(w),
      onProgress: (p) => seen.push(p.bytesDone),
    });
    const gets = hub.log.slice(start).filter((l) => l.origin === 'cdn' && l.file === WEIGHTS);
    expect(gets.map((l) => [l.range ?? null, l.bytes, l.aborted])).toEqual([
      [null, 50_000, true],
      ['bytes=50000-', file.size - 50_000, false],
    ]);
    expect(warnings).toEqual([
      `${WEIGHTS}: download broke off after 50000 of ${file.size} bytes: no data for 0.3 s (HF_HUB_DOWNLOAD_TIMEOUT); resuming with Range`,
    ]);
    expect(sha256(await readFile(join(r.folder, WEIGHTS)))).toBe(file.sha256);
    expect(seen.at(-1)).toBe([...hub.repos.get(REPO)!.files.values()].reduce((a, f) => a + f.size, 0)); // progress ends at 100%
    expect(seen.every((b, i) => i === 0 || b >= seen[i - 1])).toBe(true); // and never goes back
  });

  it('a timed stall shorter than the timeout is waited out, not retried', async () => {
    hub.clearFaults();
    hub.stallOnce(WEIGHTS, 10_000, 100);
    const start = hub.log.length;
    await snapshotDownload({ ref, client: client(), cacheDir: await fresh('short-stall'), stallTimeoutMs: 2000 });
    expect(
      hub.log
        .slice(start)
        .filter((l) => l.origin === 'cdn' && l.file === WEIGHTS)
        .map((l) => l.range ?? null),
    ).toEqual([null]);
  });

  it('a stall on every try fails naming the file and the timeout', async () => {
    hub.clearFaults();
    for (let i = 0; i < 2; i++) hub.stallOnce(WEIGHTS, 1000);
    await expect(
      snapshotDownload({ ref, client: client(), cacheDir: await fresh('stall-fail'), stallTimeoutMs: 200, attempts: 2, onWarning: () => undefined }),
    ).rejects.toThrow(new RegExp(`${WEIGHTS.replace('.', '\\.')}: download broke off after 2000 of \\d+ bytes: no data for 0.2 s`));
    hub.clearFaults();
  });

  it('the revision and the listing are asked again after a 5xx or 429', async () => {
    const flaky = new HubClient({ endpoint: hub.endpoint });
    const answers = [503, 429];
    const real = flaky.listFiles.bind(flaky);
    flaky.listFiles = async (...args) => {
      const status = answers.shift();
      if (status) throw new HubHttpError('fetch-failed', 'tree', `HTTP ${status}`, status);
      return real(...args);
    };
    const r = await snapshotDownload({ ref, client: flaky, cacheDir: await fresh('flaky') });
    expect(answers).toEqual([]);
    expect(r.downloaded.length).toBe(hub.repos.get(REPO)!.files.size);
  });

  it('a 429 (rate limit) is retried; a 404 is not', async () => {
    hub.clearFaults();
    hub.failOnce('model_index.json', 429);
    const start = hub.log.length;
    await snapshotDownload({ ref, client: client(), cacheDir: await fresh('429') });
    expect(
      hub
        .fileRequests('model_index.json')
        .filter((l) => hub.log.indexOf(l) >= start)
        .map((l) => l.status),
    ).toEqual([429, 200]);
    hub.failOnce('model_index.json', 404);
    const begin = hub.log.length;
    await expect(snapshotDownload({ ref, client: client(), cacheDir: await fresh('404') })).rejects.toMatchObject({ status: 404, file: 'model_index.json' });
    expect(hub.log.slice(begin).filter((l) => l.file === 'model_index.json').length).toBe(1);
  });

  it('two paths with one blob: fetched once, both linked, progress ends at the listed total', async () => {
    const folder = await mkdtemp(join(dir, 'twins-src-'));
    await mkdir(join(folder, 'a'));
    await mkdir(join(folder, 'b'));
    const weights = Buffer.alloc(150_000, 7);
    await writeFile(join(folder, 'a', 'w.bin'), weights);
    await writeFile(join(folder, 'b', 'w.bin'), weights);
    await writeFile(join(folder, 'model_index.json'), '{}');
    const twins = await startHubEmulator({ repos: [{ id: 'lantern/twins', folder }] });
    try {
      let last = { bytesDone: 0, bytes: -1, bytesFetched: 0 };
      const r = await snapshotDownload({
        ref: { repo: 'lantern/twins', revision: 'main', subfolder: '' },
        client: new HubClient({ endpoint: twins.endpoint }),
        cacheDir: await fresh('twins'),
        onProgress: (p) => (last = { ...p }),
      });
      expect(twins.log.filter((l) => l.origin === 'cdn').length).toBe(1);
      expect(r.bytesFetched).toBe(150_002);
      expect(last).toMatchObject({ bytesDone: 300_002, bytes: 300_002, bytesFetched: 150_002 });
      expect(sha256(await readFile(join(r.folder, 'b', 'w.bin')))).toBe(sha256(weights));
    } finally {
      await twins.stop();
    }
  });

  it('resumes a .incomplete blob left by an earlier run', async () => {
    const cacheDir = await fresh('incomplete');
    const file = hub.repos.get(REPO)!.files.get(WEIGHTS)!;
    const blobs = join(cacheDir, 'models--lantern--diffusers-script-sd15', 'blobs');
    await mkdir(blobs, { recursive: true });
    await writeFile(join(blobs, `${file.sha256}.incomplete`), file.bytes.subarray(0, 12_345));
    const start = hub.log.length;
    const r = await snapshotDownload({ ref, client: client(), cacheDir });
    expect(hub.log.slice(start).find((l) => l.origin === 'cdn' && l.path.endsWith(file.sha256))?.range).toBe('bytes=12345-');
    expect(sha256(await readFile(join(r.folder, WEIGHTS)))).toBe(file.sha256);
  });

  it('detects corrupted bytes: re-fetches once, then fails naming the file', async () => {
    hub.clearFaults();
    hub.corruptOnce(WEIGHTS);
    hub.corruptOnce('model_index.json'); // a small (git sha1) file
    const warnings: string[] = [];
    const r = await snapshotDownload({ ref, client: client(), cacheDir: await fresh('corrupt'), onWarning: (w) => warnings.push(w) });
    expect(warnings.join('\n')).toMatch(/unet\/weights\.pb: sha256 \(LFS oid\) is [0-9a-f]{64} but the Hub lists/);
    expect(warnings.join('\n')).toMatch(/model_index\.json: git blob sha1 \(oid\) is/);
    expect(sha256(await readFile(join(r.folder, WEIGHTS)))).toBe(hub.repos.get(REPO)!.files.get(WEIGHTS)!.sha256);
    hub.corruptOnce(WEIGHTS, true);
    const cacheDir = await fresh('corrupt-always');
    await expect(snapshotDownload({ ref, client: client(), cacheDir })).rejects.toThrow(
      /unet\/weights\.pb: sha256 \(LFS oid\) is .* the download is corrupted/,
    );
    hub.clearFaults();
    const blobs = join(cacheDir, 'models--lantern--diffusers-script-sd15', 'blobs');
    await expect(lstat(join(blobs, hub.repos.get(REPO)!.files.get(WEIGHTS)!.sha256))).rejects.toThrow(); // never kept
  });

  it('does not download what Python already left in the cache', async () => {
    const cacheDir = await fresh('python');
    const repoDir = join(cacheDir, 'models--lantern--diffusers-script-sd15');
    const files = [...hub.repos.get(REPO)!.files.values()];
    // as huggingface_hub leaves it: blobs named by etag, relative symlinks in snapshots/, refs/main
    for (const f of files) {
      const blob = join(repoDir, 'blobs', f.lfs ? f.sha256 : f.oid);
      const pointer = join(repoDir, 'snapshots', COMMIT, f.path);
      await mkdir(dirname(blob), { recursive: true });
      await mkdir(dirname(pointer), { recursive: true });
      await writeFile(blob, f.bytes);
      if (f.path !== WEIGHTS) await symlink(relative(dirname(pointer), blob), pointer); // one blob without its link (another commit's)
    }
    await mkdir(join(repoDir, 'refs'), { recursive: true });
    await writeFile(join(repoDir, 'refs', 'main'), COMMIT);
    const start = hub.log.length;
    const r = await snapshotDownload({ ref, client: client(), cacheDir });
    expect(r.downloaded).toEqual([]);
    expect(r.reused.length).toBe(files.length);
    expect(hub.log.slice(start).filter((l) => l.path.includes('/resolve/') || l.origin === 'cdn')).toEqual([]);
    expect((await lstat(join(r.folder, WEIGHTS))).isSymbolicLink()).toBe(true);
  });

  it('a subfolder at a commit sha: only that folder is listed and fetched', async () => {
    const cacheDir = await fresh('sub');
    const commit = fakeCommit('lantern/replicas');
    const src = await hubSource(
      { repo: 'lantern/replicas', revision: commit, subfolder: 'optimum-sd-turbo' },
      { env: { HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir }, log: { progress: () => undefined } },
    );
    expect(src.snapshot.folder).toBe(join(cacheDir, 'models--lantern--replicas', 'snapshots', commit, 'optimum-sd-turbo'));
    expect(src.snapshot.downloaded.every((p) => p.startsWith('optimum-sd-turbo/'))).toBe(true);
    expect(src.snapshot.downloaded.length).toBeGreaterThan(5);
    const folder = await loadModelFolder(src);
    expect(folder.name).toBe('optimum-sd-turbo');
    await expect(lstat(join(cacheDir, 'models--lantern--replicas', 'refs'))).rejects.toThrow(); // a sha needs no ref
  });

  it('a missing repo, revision or subfolder is a missing-file error', async () => {
    const cacheDir = await fresh('missing');
    const c = client();
    await expect(snapshotDownload({ ref: { ...ref, repo: 'lantern/nope' }, client: c, cacheDir })).rejects.toMatchObject({
      problem: 'missing-file',
      message: expect.stringMatching(/the repo lantern\/nope does not exist/),
    });
    await expect(snapshotDownload({ ref: { ...ref, revision: 'v9' }, client: c, cacheDir })).rejects.toThrow(
      /the revision "v9" does not exist in lantern\/diffusers-script-sd15/,
    );
    await expect(snapshotDownload({ ref: { ...ref, subfolder: 'nope' }, client: c, cacheDir })).rejects.toThrow(
      /nope is not in lantern\/diffusers-script-sd15/,
    );
  });

  it('headFile reads the LFS headers off the redirect, the ETag otherwise', async () => {
    const c = client();
    const f = hub.repos.get(REPO)!.files.get(WEIGHTS)!;
    expect(await c.headFile(REPO, 'main', WEIGHTS)).toEqual({ etag: f.sha256, size: f.bytes.length, commit: COMMIT });
    const small = hub.repos.get(REPO)!.files.get('model_index.json')!;
    expect(await c.headFile(REPO, 'main', 'model_index.json')).toEqual({ etag: small.oid, size: small.bytes.length, commit: COMMIT });
  });
});

// keep helpers referenced for future cases
void cp;
void rm;
void truncate;
