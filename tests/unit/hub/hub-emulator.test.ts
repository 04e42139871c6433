/** The Hub emulator answers as the Hub and its CDN do: CORS on both origins, Range, HEAD, error codes, and its faults. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeCommit, fileHashes, parseRange, startHubEmulator, writeSyntheticFile, type HubEmulator } from '../../helpers/hub-emulator';
import { parseRepoSpec } from '../../helpers/hub-emulator-server';

const REPO = 'lantern/tiny';
const TOKEN = 'hf_secret';
const BIG = 'unet/model.onnx_data';
const BIG_SIZE = 3_000_000;
let hub: HubEmulator;
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'lantern-emu-'));
  await mkdir(join(folder, 'unet'), { recursive: true });
  await writeFile(join(folder, 'model_index.json'), '{"_class_name":"StableDiffusionPipeline"}');
  await writeFile(join(folder, 'unet', 'config.json'), '{}');
  await writeSyntheticFile(join(folder, BIG), BIG_SIZE, 7);
  hub = await startHubEmulator({
    repos: [
      { id: REPO, folder },
      { id: 'lantern/gated', folder, token: TOKEN },
    ],
    lfsThreshold: 1000,
  });
});
afterAll(() => hub?.stop());

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const ORIGIN = 'http://localhost:3000';

describe('CORS on both origins', () => {
  it('the Hub echoes the Origin and exposes its headers; the CDN answers *', async () => {
    const res = await fetch(hub.resolveUrl(REPO, BIG), { headers: { origin: ORIGIN }, redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('vary')).toBe('Origin');
    const exposed = res.headers.get('access-control-expose-headers')!.toLowerCase().split(',');
    for (const h of ['etag', 'x-linked-etag', 'x-linked-size', 'x-repo-commit', 'content-range', 'accept-ranges', 'link', 'x-error-code', 'x-error-message']) {
      expect(exposed).toContain(h);
    }
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const cdn = await fetch(res.headers.get('location')!, { headers: { origin: 'null' } });
    expect(cdn.headers.get('access-control-allow-origin')).toBe('*');
    expect(cdn.headers.get('access-control-expose-headers')).toBe('*');
    expect(cdn.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    await cdn.body?.cancel();
  });

  it('a preflight answers 204 with the allowed methods and headers, on both origins', async () => {
    for (const url of [hub.resolveUrl(REPO, BIG), `${hub.cdn}/blobs/${hub.repos.get(REPO)!.files.get(BIG)!.sha256}`]) {
      const res = await fetch(url, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,range' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-methods')).toMatch(/GET.*HEAD/);
      expect(res.headers.get('access-control-allow-headers')).toBe('authorization, range, content-type, accept, accept-encoding');
      expect(res.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/localhost:3000)$/);
    }
  });

  it('errors carry CORS headers too, so a page can read X-Error-Code', async () => {
    const res = await fetch(hub.resolveUrl(REPO, 'nope.json'), { headers: { origin: ORIGIN } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-error-code')).toBe('EntryNotFound');
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });
});

describe('answers', () => {
  it('Range: 206 with Content-Range, a suffix range, and 416 past the end', async () => {
    const file = hub.repos.get(REPO)!.files.get(BIG)!;
    const url = `${hub.cdn}/blobs/${file.sha256}`;
    const res = await fetch(url, { headers: { range: 'bytes=100-199' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100-199/${BIG_SIZE}`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(file.bytes.subarray(100, 200)));
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    expect(tail.headers.get('content-range')).toBe(`bytes ${BIG_SIZE - 10}-${BIG_SIZE - 1}/${BIG_SIZE}`);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const past = await fetch(url, { headers: { range: `bytes=${BIG_SIZE}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${BIG_SIZE}`);
    expect(parseRange('bytes=5-', 10)).toEqual([5, 9]);
    expect(parseRange('bytes=0-99', 10)).toEqual([0, 9]);
    expect(parseRange('bytes=0-1,4-5', 10)).toBeNull();
    expect(parseRange('bytes=7-3', 10)).toBe('unsatisfiable');
  });

  it('HEAD of an LFS file is the 302 with X-Linked-Etag/Size; of a small file, 200 with the git sha1 ETag', async () => {
    const big = hub.repos.get(REPO)!.files.get(BIG)!;
    const head = await fetch(hub.resolveUrl(REPO, BIG), { method: 'HEAD', redirect: 'manual' });
    expect(head.status).toBe(302);
    expect(head.headers.get('x-linked-etag')).toBe(`"${big.sha256}"`);
    expect(head.headers.get('x-linked-size')).toBe(String(BIG_SIZE));
    expect(head.headers.get('x-repo-commit')).toBe(fakeCommit(REPO));
    const small = hub.repos.get(REPO)!.files.get('model_index.json')!;
    const smallHead = await fetch(hub.resolveUrl(REPO, 'model_index.json'), { method: 'HEAD' });
    expect(smallHead.status).toBe(200);
    expect(smallHead.headers.get('etag')).toBe(`"${small.oid}"`);
    expect(smallHead.headers.get('content-length')).toBe(String(small.size));
  });

  it('404s carry the Hub error codes; a missing repo is 401 without a token and 404 with one', async () => {
    const code = async (url: string, headers: Record<string, string> = {}) => {
      const r = await fetch(url, { headers });
      await r.body?.cancel();
      return `${r.status} ${r.headers.get('x-error-code')}`;
    };
    expect(await code(`${hub.endpoint}/lantern/nope/resolve/main/x`)).toBe('401 RepoNotFound');
    expect(await code(`${hub.endpoint}/lantern/nope/resolve/main/x`, { authorization: 'Bearer hf_x' })).toBe('404 RepoNotFound');
    expect(await code(`${hub.endpoint}/${REPO}/resolve/v2/x`)).toBe('404 RevisionNotFound');
    expect(await code(`${hub.endpoint}/${REPO}/resolve/main/x`)).toBe('404 EntryNotFound');
    expect(await code(`${hub.endpoint}/lantern/gated/resolve/main/model_index.json`)).toBe('401 GatedRepo');
    expect(await code(`${hub.endpoint}/lantern/gated/resolve/main/model_index.json`, { authorization: 'Bearer hf_x' })).toBe('403 GatedRepo');
    expect(await code(`${hub.endpoint}/lantern/gated/resolve/main/model_index.json`, { authorization: `Bearer ${TOKEN}` })).toBe('200 null');
  });

  it('tree entries are shaped like the Hub’s', async () => {
    const res = await fetch(`${hub.endpoint}/api/models/${REPO}/tree/main?recursive=true`);
    const items = (await res.json()) as object[];
    const big = hub.repos.get(REPO)!.files.get(BIG)!;
    expect(items).toContainEqual({ type: 'file', oid: big.oid, size: BIG_SIZE, path: BIG, lfs: { oid: big.sha256, size: BIG_SIZE, pointerSize: 134 } });
    expect(items).toContainEqual({ type: 'directory', oid: expect.stringMatching(/^[0-9a-f]{40}$/), size: 0, path: 'unet' });
  });

  it('relativeRedirects: small files answer a same-origin 307 to the resolve cache', async () => {
    const other = await startHubEmulator({ repos: [{ id: REPO, folder }], lfsThreshold: 1000, relativeRedirects: true });
    try {
      const res = await fetch(other.resolveUrl(REPO, 'model_index.json'), { redirect: 'manual' });
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toMatch(/^\/api\/resolve-cache\/models\/lantern\/tiny\/[0-9a-f]{40}\/model_index\.json\?etag=/);
      const followed = await fetch(other.resolveUrl(REPO, 'model_index.json'));
      expect(await followed.text()).toBe('{"_class_name":"StableDiffusionPipeline"}');
      expect(other.fileRequests('model_index.json').map((l) => l.path)).toEqual([`/api/resolve-cache/models/${REPO}/${fakeCommit(REPO)}/model_index.json`]);
    } finally {
      await other.stop();
    }
  });
});

describe('large files and faults', () => {
  it('streams a file from disk and hashes it once (path+size+mtime)', async () => {
    const file = hub.repos.get(REPO)!.files.get(BIG)!;
    const want = createHash('sha256');
    for await (const c of createReadStream(join(folder, BIG))) want.update(c as Buffer);
    expect(file.sha256).toBe(want.digest('hex'));
    expect(await fileHashes(join(folder, BIG))).toEqual({ oid: file.oid, sha256: file.sha256 });
    const res = await fetch(hub.resolveUrl(REPO, BIG));
    expect(sha256(new Uint8Array(await res.arrayBuffer()))).toBe(file.sha256);
    await new Promise((r) => setTimeout(r, 20));
    expect(hub.fileRequests(BIG).at(-1)).toMatchObject({ bytes: BIG_SIZE, status: 200, done: true, aborted: false });
  });

  it('a stall without end: bytes, then nothing until the client aborts', async () => {
    hub.stallOnce(BIG, 1000);
    const ctrl = new AbortController();
    const res = await fetch(hub.resolveUrl(REPO, BIG), { signal: ctrl.signal });
    const reader = res.body!.getReader();
    let got = 0;
    const read = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return 'done';
        got += value.length;
      }
    })().catch((e: Error) => e.name);
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toBe(1000);
    ctrl.abort();
    expect(await read).toBe('AbortError');
    await new Promise((r) => setTimeout(r, 50));
    const last = hub.fileRequests(BIG).at(-1)!;
    expect(last.bytes).toBe(1000);
    expect(last.aborted).toBe(true);
  });

  it('a timed stall sends the rest afterwards; a cut ends early; rangeRequests finds the resumes', async () => {
    hub.clearLog();
    hub.stallOnce(BIG, 5000, 150);
    const t0 = performance.now();
    const whole = new Uint8Array(await (await fetch(hub.resolveUrl(REPO, BIG))).arrayBuffer());
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(sha256(whole)).toBe(hub.repos.get(REPO)!.files.get(BIG)!.sha256);
    hub.cutOnce(BIG, 2000);
    const cut = await fetch(hub.resolveUrl(REPO, BIG));
    await expect(cut.arrayBuffer()).rejects.toThrow();
    const resumed = await fetch(hub.resolveUrl(REPO, BIG), { headers: { range: 'bytes=2000-' } });
    expect((await resumed.arrayBuffer()).byteLength).toBe(BIG_SIZE - 2000);
    expect(hub.fileRequests(BIG).map((l) => [l.origin, l.range ?? null, l.bytes])).toEqual([
      ['cdn', null, BIG_SIZE],
      ['cdn', null, 2000],
      ['cdn', 'bytes=2000-', BIG_SIZE - 2000],
    ]);
    expect(hub.rangeRequests(BIG).map((l) => l.range)).toEqual(['bytes=2000-']);
  });

  it('repos sharing a blob: the CDN logs the repo the redirect named, and a fault can target one repo', async () => {
    hub.clearLog();
    hub.cutOnce({ repo: 'lantern/gated', path: BIG }, 10);
    const mine = await fetch(hub.resolveUrl(REPO, BIG));
    expect((await mine.arrayBuffer()).byteLength).toBe(BIG_SIZE); // the fault is not for this repo
    const gated = await fetch(hub.resolveUrl('lantern/gated', BIG), { headers: { authorization: `Bearer ${TOKEN}` } });
    await expect(gated.arrayBuffer()).rejects.toThrow();
    expect(hub.fileRequests(BIG).map((l) => [l.repo, l.bytes])).toEqual([
      [REPO, BIG_SIZE],
      ['lantern/gated', 10],
    ]);
    expect(hub.fileRequests(BIG, { repo: 'lantern/gated' }).length).toBe(1);
  });

  it('throttle limits the rate of every answer', async () => {
    hub.throttle(1_000_000);
    try {
      const t0 = performance.now();
      await (await fetch(`${hub.cdn}/blobs/${hub.repos.get(REPO)!.files.get(BIG)!.sha256}`, { headers: { range: 'bytes=0-199999' } })).arrayBuffer();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    } finally {
      hub.throttle(null);
    }
  });
});

describe('the launcher', () => {
  it('reads --repo owner/name=folder[@token], naming a value it refuses', () => {
    expect(parseRepoSpec('lantern/sd=models/x')).toEqual({ id: 'lantern/sd', folder: 'models/x' });
    expect(parseRepoSpec('lantern/gated=models/x@hf_secret')).toEqual({ id: 'lantern/gated', folder: 'models/x', token: 'hf_secret' });
    expect(() => parseRepoSpec('models/x')).toThrow('--repo "models/x" is not owner/name=folder[@token]');
  });
});
