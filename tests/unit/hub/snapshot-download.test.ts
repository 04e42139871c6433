/**
 * Downloads into the browser cache's layout (memory store) from the local Hub emulator:
 * resume after a cut (the emulator logs the Range request), a stall, a 500, corruption,
 * a full disk, pause then resume, and offline answers from refs/.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownloadStoppedError, ModelFolderError, StorageFullError } from '@/lib/errors';
import { CacheIndex, parseSnapshotKey, snapshotFilePath } from '@/lib/hub/cache-index';
import { openCachedSnapshot } from '@/lib/hub/cache-source';
import { HubClient, HubUnreachableError } from '@/lib/hub/client';
import { memoryStore, type MemoryStore } from '@/lib/hub/memory-store';
import { downloadSnapshot, neededFiles, planSnapshot, type SnapshotDownloadOptions } from '@/lib/hub/snapshot-download';
import { loadModelFolder } from '@/lib/models/load-folder';
import type { HubModelRef, StorageInfo } from '@/lib/worker/cache-protocol';
import { fakeCommit, startHubEmulator, type HubEmulator } from '../../helpers/hub-emulator';

const REPLICAS = 'models/fixtures/replicas';
const REPO = 'lantern/optimum-sd-turbo';
const UNET = 'unet/model.onnx'; // 267 159 bytes: over the LFS threshold, so served by the "CDN"
const storage = async (): Promise<StorageInfo> => ({ usage: 0, quota: 10e9, persisted: false });

let hub: HubEmulator;
let ref: HubModelRef;
let store: MemoryStore;
let index: CacheIndex;

beforeAll(async () => {
  hub = await startHubEmulator({
    // One repo: the emulator's CDN finds a blob by its sha256, and faults by the file's path in the repo.
    repos: [{ id: REPO, folder: `${REPLICAS}/optimum-sd-turbo` }],
    lfsThreshold: 100_000,
  });
  ref = { endpoint: hub.endpoint, repo: REPO, revision: 'main', subfolder: '' };
});
afterAll(async () => {
  await hub?.stop();
});
beforeEach(() => {
  hub.clearFaults();
  hub.log.length = 0;
  store = memoryStore();
  index = new CacheIndex(store);
});

const options = (over: Partial<SnapshotDownloadOptions> = {}): SnapshotDownloadOptions => ({
  ref,
  client: new HubClient({ endpoint: hub.endpoint }),
  index,
  storage,
  backoffMs: () => 1,
  stallMs: 2000,
  ...over,
});

/** sha256 of the replica's file and of bytes read back: comparing 267 kB arrays element-wise is slow in vitest. */
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const original = async (path: string) => sha(await readFile(`${REPLICAS}/optimum-sd-turbo/${path}`));
const unetGets = () => hub.log.filter((r) => r.origin === 'cdn' && r.method === 'GET');

describe('neededFiles', () => {
  it('keeps the model folder and drops READMEs, PyTorch weights, other pipelines and skipped graphs', () => {
    const paths = [
      'README.md',
      '.gitattributes',
      'model_index.json',
      'lantern.json',
      'scheduler/scheduler_config.json',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'unet/model.onnx',
      'unet/model.onnx_data',
      'unet/diffusion_pytorch_model.safetensors',
      'unet/model_fp16.onnx',
      'unet/model_fp16.onnx_data',
      'unet/weights.pb',
      'text_encoder/model.onnx',
      'text_encoder/pytorch_model.bin',
      'safety_checker/model.onnx',
      'text_encoder_2/model.onnx',
      'feature_extractor/preprocessor_config.json',
      'vae_decoder/model_layernorm.onnx',
      'unet/..',
      'tokenizer/../../escape.json',
    ].map((path) => ({ path }));
    expect(neededFiles(paths).map((f) => f.path)).toEqual([
      'lantern.json',
      'model_index.json',
      'scheduler/scheduler_config.json',
      'text_encoder/model.onnx',
      'tokenizer/merges.txt',
      'tokenizer/vocab.json',
      'unet/model.onnx',
      'unet/model.onnx_data',
      'unet/weights.pb',
      'vae_decoder/model_layernorm.onnx',
    ]);
  });
});

describe('downloadSnapshot', () => {
  it('fetches the folder into the cache, and the cached snapshot opens as a model folder', async () => {
    const progress: number[] = [];
    const result = await downloadSnapshot(options({ onProgress: (p) => progress.push(p.bytesDone) }));
    expect(result.key).toBe(`${new URL(hub.endpoint).host}/${REPO}@${fakeCommit(REPO)}`);
    expect(result.manifest.complete).toBe(true);
    expect(result.manifest.files.map((f) => f.path)).toContain(UNET);
    expect(result.manifest.files.find((f) => f.path === UNET)?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const total = result.manifest.files.reduce((a, f) => a + f.size, 0);
    expect(result.fetchedBytes).toBe(total);
    expect(result.resumedBytes).toBe(0);
    expect(progress[progress.length - 1]).toBe(total);
    // Nothing left as a partial; the unet is the emulator's bytes.
    expect(store.paths().filter((p) => p.endsWith('.incomplete'))).toEqual([]);
    const source = await openCachedSnapshot(result.key, store);
    expect(sha((await source.readBytes(UNET))!)).toBe(await original(UNET));
    const folder = await loadModelFolder(source);
    expect(Object.keys(folder.graphs).sort()).toEqual(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder']);
    // A second download fetches nothing.
    hub.log.length = 0;
    const again = await downloadSnapshot(options());
    expect(again.fetchedBytes).toBe(0);
    expect(hub.log.filter((r) => r.path.includes('/resolve/') || r.origin === 'cdn')).toEqual([]);
  });

  it('resumes a cut download with a Range request for the rest', async () => {
    hub.cutOnce(UNET, 100_000);
    const result = await downloadSnapshot(options());
    expect(result.retries).toBe(1);
    const gets = unetGets();
    expect(gets).toHaveLength(2);
    expect(gets[0]).toMatchObject({ range: undefined, bytes: 100_000 });
    expect(gets[1]).toMatchObject({ range: 'bytes=100000-', status: 206 });
    // The cut bytes were kept: every byte came over the wire once.
    expect(result.fetchedBytes).toBe(result.manifest.files.reduce((a, f) => a + f.size, 0));
    expect(sha(new Uint8Array(await (await store.read(snapshotFilePath(parseSnapshotKey(result.key), UNET)))!.arrayBuffer()))).toBe(await original(UNET));
  });

  it('retries after a 500 and after a stalled body', async () => {
    hub.failOnce(UNET, 500);
    hub.stallOnce(UNET, 50_000);
    const t0 = performance.now();
    const result = await downloadSnapshot(options({ stallMs: 300 }));
    expect(result.manifest.complete).toBe(true);
    expect(result.retries).toBe(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300); // the stall was waited out, not skipped
    expect(hub.log.some((r) => r.status === 500)).toBe(true);
    // After the stall the rest came by Range.
    expect(hub.rangeRequests(UNET).map((r) => r.range)).toEqual(['bytes=50000-']);
  });

  it('retries a request the server never answers', async () => {
    let hung = 0;
    const client = new HubClient({
      endpoint: hub.endpoint,
      fetch: (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url.includes('/blobs/') && hung++ === 0) {
          // No headers, ever, until the request is aborted.
          return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
        }
        return fetch(input, init);
      },
    });
    const result = await downloadSnapshot(options({ client, stallMs: 200 }));
    expect(hung).toBe(2);
    expect(result.retries).toBe(1);
    expect(result.manifest.complete).toBe(true);
  });

  it('deletes a corrupted file and fetches it once more', async () => {
    hub.corruptOnce(UNET);
    const result = await downloadSnapshot(options());
    expect(result.manifest.complete).toBe(true);
    expect(unetGets().map((r) => r.range)).toEqual([undefined, undefined]);
    expect(sha((await (await openCachedSnapshot(result.key, store)).readBytes(UNET))!)).toBe(await original(UNET));
  });

  it('fails naming the file when it is corrupted twice, and trusts nothing of it', async () => {
    hub.corruptOnce(UNET, true);
    const err = await downloadSnapshot(options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err).toMatchObject({ code: 'model-malformed', file: UNET, message: expect.stringMatching(/sha256.*corrupted/) });
    const k = parseSnapshotKey((await index.list())[0].key);
    expect(await store.read(snapshotFilePath(k, UNET))).toBeNull();
    expect(await store.partialSize(snapshotFilePath(k, UNET))).toBeNull();
    expect((await index.list())[0].complete).toBe(false);
  });

  it('a full disk fails with storage-full and leaves no file a later load would trust', async () => {
    store = memoryStore({ quota: 200_000 });
    index = new CacheIndex(store);
    const err = await downloadSnapshot(options({ concurrency: 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err).toMatchObject({ code: 'storage-full', message: expect.stringMatching(/storage is full: wrote \d+ of \d+ bytes/) });
    const [model] = await index.list();
    expect(model.complete).toBe(false);
    const k = parseSnapshotKey(model.key);
    // The unet (largest, first) did not fit: only a partial of it exists, never the file.
    expect(await store.read(snapshotFilePath(k, UNET))).toBeNull();
    await expect(openCachedSnapshot(model.key, store)).rejects.toMatchObject({ code: 'model-missing-file' });
    // With room again the same download finishes, resuming what reached the disk.
    store.quota = Infinity;
    hub.log.length = 0;
    const result = await downloadSnapshot(options());
    expect(result.manifest.complete).toBe(true);
    expect(result.resumedBytes).toBeGreaterThan(0);
    expect(unetGets()[0].range).toMatch(/^bytes=\d+-$/);
  });

  it('pauses (partials stay) and resumes from the partial', async () => {
    const controller = new AbortController();
    const paused = await downloadSnapshot(
      options({
        concurrency: 1,
        progressIntervalMs: 0,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.bytesDone > 0) controller.abort(new DownloadStoppedError('pause'));
        },
      }),
    ).catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(DownloadStoppedError);
    expect(paused).toMatchObject({ reason: 'pause' });
    const [model] = await index.list();
    expect(model.complete).toBe(false);
    expect(model.bytesDone).toBeGreaterThan(0);
    const partialBefore = (await store.partialSize(snapshotFilePath(parseSnapshotKey(model.key), UNET)))!;
    expect(partialBefore).toBeGreaterThan(0);

    hub.log.length = 0;
    const result = await downloadSnapshot(options());
    expect(result.manifest.complete).toBe(true);
    expect(result.resumedBytes).toBe(partialBefore);
    expect(unetGets()[0].range).toBe(`bytes=${partialBefore}-`);
  });

  it('answers a plan from refs/ and the manifest when the Hub is unreachable', async () => {
    const first = await downloadSnapshot(options());
    const offline = new HubClient({
      endpoint: hub.endpoint,
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    const planned = await planSnapshot({ ref, client: offline, index, storage });
    expect(planned.offline).toBe(true);
    expect(planned.plan).toMatchObject({ key: first.key, missingBytes: 0, fits: true });
    expect(await index.find(ref)).toMatchObject({ key: first.key, complete: true });
    const again = await downloadSnapshot(options({ client: offline }));
    expect(again.fetchedBytes).toBe(0);
    // Never downloaded: the Hub's unreachability is the answer.
    await expect(planSnapshot({ ref: { ...ref, repo: 'lantern/other' }, client: offline, index, storage })).rejects.toBeInstanceOf(HubUnreachableError);
  });

  it('plans a subfolder: paths inside the folder, fits against the quota', async () => {
    const replicas = await startHubEmulator({ repos: [{ id: 'lantern/replicas', folder: REPLICAS }] });
    const sub: HubModelRef = { endpoint: replicas.endpoint, repo: 'lantern/replicas', revision: 'main', subfolder: 'webnn-sd-turbo' };
    const planned = await planSnapshot({
      ref: sub,
      client: new HubClient({ endpoint: replicas.endpoint }),
      index,
      storage: async () => ({ usage: 0, quota: 1000, persisted: false }),
    });
    await replicas.stop();
    expect(planned.plan.files.every((f) => !f.path.startsWith('webnn-sd-turbo/'))).toBe(true);
    expect(planned.plan.files.map((f) => f.path)).toContain('unet/model_layernorm.onnx');
    expect(planned.plan.missingBytes).toBe(planned.plan.totalBytes);
    expect(planned.plan.fits).toBe(false);
  });
});
