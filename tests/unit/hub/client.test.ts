/** HubClient against the Hub emulator: paging, metadata, downloads across the CDN redirect, and the errors people see. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFolderError } from '@/lib/errors';
import { HubClient, HubHttpError, HubUnreachableError } from '@/lib/hub/client';
import { fakeCommit, startHubEmulator, writeSyntheticFile, type HubEmulator } from '../../helpers/hub-emulator';

const REPO = 'lantern/client-test';
const GATED = 'lantern/gated';
const TOKEN = 'hf_good';
const BIG = 'unet/model.onnx_data';
let hub: HubEmulator;
let redirecting: HubEmulator;
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'lantern-client-'));
  for (const d of ['unet', 'vae_decoder', 'text_encoder', 'tokenizer']) await mkdir(join(folder, d), { recursive: true });
  await writeFile(join(folder, 'model_index.json'), '{"_class_name":"StableDiffusionPipeline"}');
  for (const d of ['unet', 'vae_decoder', 'text_encoder']) await writeFile(join(folder, d, 'config.json'), `{"part":"${d}"}`);
  await writeFile(join(folder, 'tokenizer', 'vocab.json'), '{}');
  await writeSyntheticFile(join(folder, BIG), 50_000, 3);
  const repos = [
    { id: REPO, folder },
    { id: GATED, folder, token: TOKEN },
  ];
  hub = await startHubEmulator({ repos, lfsThreshold: 10_000, pageSize: 2 });
  redirecting = await startHubEmulator({ repos, lfsThreshold: 10_000, relativeRedirects: true });
});
afterAll(async () => {
  await hub?.stop();
  await redirecting?.stop();
});

const client = (o: { token?: string; redirects?: 'manual' | 'follow'; hub?: HubEmulator } = {}) =>
  new HubClient({ endpoint: (o.hub ?? hub).endpoint, token: o.token, redirects: o.redirects });

describe('listing and metadata', () => {
  it('follows Link pages to the end of the tree and keeps files only, with the LFS sha256', async () => {
    hub.clearLog();
    const files = await client().listFiles(REPO, 'main');
    expect(files.map((f) => f.path)).toEqual([
      'model_index.json',
      'text_encoder/config.json',
      'tokenizer/vocab.json',
      'unet/config.json',
      BIG,
      'vae_decoder/config.json',
    ]);
    const big = hub.repos.get(REPO)!.files.get(BIG)!;
    expect(files.find((f) => f.path === BIG)).toEqual({ path: BIG, size: 50_000, oid: big.oid, sha256: big.sha256 });
    expect(files.find((f) => f.path === 'model_index.json')!.sha256).toBeUndefined();
    const pages = hub.log.filter((l) => l.path.includes('/tree/'));
    // 6 files + 4 directories, 2 per page
    expect(pages.length).toBe(5);
    expect(pages.slice(1).every((l) => /[?&]cursor=\d+/.test(l.url))).toBe(true);
  });

  it('lists a subfolder only', async () => {
    expect((await client().listFiles(REPO, 'main', 'unet')).map((f) => f.path)).toEqual(['unet/config.json', BIG]);
  });

  it('resolves a branch to its commit', async () => {
    expect(await client().resolveRevision(REPO, 'main')).toBe(fakeCommit(REPO));
  });

  it('headFile follows the Hub’s relative 307 (resolve cache) for small files and reads the final answer', async () => {
    const small = redirecting.repos.get(REPO)!.files.get('model_index.json')!;
    expect(await client({ hub: redirecting }).headFile(REPO, 'main', 'model_index.json')).toEqual({
      etag: small.oid,
      size: small.size,
      commit: fakeCommit(REPO),
    });
    const big = redirecting.repos.get(REPO)!.files.get(BIG)!;
    expect(await client({ hub: redirecting }).headFile(REPO, 'main', BIG)).toEqual({ etag: big.sha256, size: 50_000, commit: fakeCommit(REPO) });
  });

  it('headFile with redirects: follow reads the CDN’s answer (its ETag, no commit)', async () => {
    const big = hub.repos.get(REPO)!.files.get(BIG)!;
    expect(await client({ redirects: 'follow' }).headFile(REPO, 'main', BIG)).toEqual({ etag: big.sha256, size: 50_000, commit: null });
  });

  it('a browser’s opaqueredirect (manual redirect it will not show) falls back to following it', async () => {
    const seen: string[] = [];
    const browserLike: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      seen.push(`${init?.method ?? 'GET'} ${init?.redirect ?? 'follow'} ${res.status}`);
      if (init?.redirect !== 'manual' || res.status < 300 || res.status >= 400) return res;
      await res.body?.cancel();
      const opaque = new Response(null, { status: 200 });
      Object.defineProperties(opaque, { type: { value: 'opaqueredirect' }, status: { value: 0 } });
      return opaque;
    };
    const c = new HubClient({ endpoint: hub.endpoint, fetch: browserLike });
    const big = hub.repos.get(REPO)!.files.get(BIG)!;
    expect((await c.headFile(REPO, 'main', BIG)).etag).toBe(big.sha256);
    const res = await c.download(REPO, 'main', BIG);
    expect((await res.arrayBuffer()).byteLength).toBe(50_000);
    expect(seen).toEqual(['HEAD manual 302', 'HEAD follow 200', 'GET manual 302', 'GET follow 200']);
  });
});

describe('downloads', () => {
  it('a Range download answers 206 with exactly those bytes, from the CDN without the token', async () => {
    hub.clearLog();
    const big = hub.repos.get(GATED)!.files.get(BIG)!;
    const res = await client({ token: TOKEN }).download(GATED, 'main', BIG, { range: { start: 40_000 } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 40000-49999/50000');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(big.bytes.subarray(40_000)));
    const part = await client({ token: TOKEN }).download(GATED, 'main', BIG, { range: { start: 10, end: 19 } });
    expect((await part.arrayBuffer()).byteLength).toBe(10);
    expect(hub.log.filter((l) => l.origin === 'hub').every((l) => l.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(hub.log.filter((l) => l.origin === 'cdn').map((l) => [l.range, l.authorization])).toEqual([
      ['bytes=40000-', undefined],
      ['bytes=10-19', undefined],
    ]);
  });

  it('redirects: follow fetches in one call; fetch drops the token when the redirect leaves the Hub', async () => {
    hub.clearLog();
    const res = await client({ token: TOKEN, redirects: 'follow' }).download(GATED, 'main', BIG, { range: { start: 49_990 } });
    expect(res.status).toBe(206);
    expect((await res.arrayBuffer()).byteLength).toBe(10);
    expect(hub.log.map((l) => `${l.origin} ${l.status} ${l.authorization ?? '-'}`)).toEqual([`hub 302 Bearer ${TOKEN}`, 'cdn 206 -']);
  });

  it('a small file comes from the Hub itself', async () => {
    const res = await client().download(REPO, 'main', 'unet/config.json');
    expect(await res.text()).toBe('{"part":"unet"}');
    // and after the Hub's relative 307 to its resolve cache, with the token kept (same origin)
    redirecting.clearLog();
    const viaCache = await client({ hub: redirecting, token: 'hf_any' }).download(REPO, 'main', 'unet/config.json');
    expect(await viaCache.text()).toBe('{"part":"unet"}');
    expect(redirecting.log.map((l) => `${l.status} ${l.authorization}`)).toEqual(['307 Bearer hf_any', '200 Bearer hf_any']);
  });

  it('an abort passes through as an AbortError, not as "unreachable"', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(client().download(REPO, 'main', BIG, { signal: ctrl.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('errors name what to do', () => {
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (e: unknown) => e as HubHttpError,
    );

  it('401 without a token asks for HF_TOKEN; 403 with one says that token has no access', async () => {
    const anon = await failure(client().download(GATED, 'main', 'model_index.json'));
    expect(anon).toBeInstanceOf(HubHttpError);
    expect(anon).toMatchObject({ status: 401, problem: 'fetch-failed', code: 'fetch-failed', file: 'model_index.json' });
    expect(anon!.message).toMatch(/lantern\/gated is gated or private.*HTTP 401 GatedRepo.*set HF_TOKEN to a Hub access token/);
    const wrong = await failure(client({ token: 'hf_other' }).listFiles(GATED, 'main'));
    expect(wrong).toMatchObject({ status: 403 });
    expect(wrong!.message).toMatch(/HTTP 403 GatedRepo.*the token in HF_TOKEN has no access to it/);
    expect(wrong!.message).not.toMatch(/set HF_TOKEN/);
  });

  it('authHints put the words of where the token lives (a studio field) in the messages', async () => {
    const hints = { missing: 'enter a Hub token under Settings → Hub', refused: 'the token under Settings → Hub has no access to it' };
    const anon = await failure(new HubClient({ endpoint: hub.endpoint, authHints: hints }).listFiles(GATED, 'main'));
    expect(anon!.message).toMatch(/: enter a Hub token under Settings → Hub$/);
    const wrong = await failure(new HubClient({ endpoint: hub.endpoint, token: 'hf_x', authHints: hints }).listFiles(GATED, 'main'));
    expect(wrong!.message).toMatch(/: the token under Settings → Hub has no access to it$/);
    const missing = await failure(new HubClient({ endpoint: hub.endpoint, authHints: hints }).listFiles('lantern/nope', 'main'));
    expect(missing!.message).toMatch(/does not exist \(or it is private: enter a Hub token under Settings → Hub\)/);
  });

  it('404 codes become missing-file errors naming the repo, the revision or the file', async () => {
    const repo = await failure(client().resolveRevision('lantern/nope', 'main'));
    expect(repo).toMatchObject({ problem: 'missing-file', code: 'model-missing-file', status: 401 });
    expect(repo!.message).toMatch(/the repo lantern\/nope does not exist \(or it is private: set HF_TOKEN/);
    const repoWithToken = await failure(client({ token: 'hf_x' }).resolveRevision('lantern/nope', 'main'));
    expect(repoWithToken).toMatchObject({ problem: 'missing-file', status: 404 });
    expect(repoWithToken!.message).toMatch(/^the repo lantern\/nope does not exist \(HTTP 404 RepoNotFound/);
    const rev = await failure(client().listFiles(REPO, 'v9'));
    expect(rev).toMatchObject({ problem: 'missing-file', status: 404 });
    expect(rev!.message).toMatch(/the revision "v9" does not exist in lantern\/client-test \(HTTP 404 RevisionNotFound/);
    const file = await failure(client().download(REPO, 'main', 'unet/nope.onnx'));
    expect(file).toMatchObject({ problem: 'missing-file', file: 'unet/nope.onnx', status: 404 });
    expect(file!.message).toMatch(/unet\/nope\.onnx is not in lantern\/client-test at "main" \(HTTP 404 EntryNotFound/);
  });

  it('a 500 is a fetch-failed HubHttpError with its status (a retry may help)', async () => {
    hub.failOnce('unet/config.json', 503);
    const err = await failure(client().download(REPO, 'main', 'unet/config.json'));
    expect(err).toMatchObject({ status: 503, problem: 'fetch-failed' });
    expect(err!.message).toMatch(/lantern\/client-test: unet\/config\.json: HTTP 503/);
  });

  it('no answer at all is HubUnreachableError naming the URL', async () => {
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    const err = await failure(new HubClient({ endpoint: `http://127.0.0.1:${port}` }).resolveRevision(REPO, 'main'));
    expect(err).toBeInstanceOf(HubUnreachableError);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err).toMatchObject({ code: 'fetch-failed', file: `${REPO}@main` });
    expect(err!.message).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/api/models/lantern/client-test/revision/main: request failed: ECONNREFUSED`));
  });
});
