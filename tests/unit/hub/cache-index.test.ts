import { describe, expect, it } from 'vitest';
import { ModelFolderError, StorageFullError } from '@/lib/errors';
import { readText } from '@/lib/hub/blob-store';
import { CacheIndex, manifestPath, parseSnapshotKey, snapshotFilePath, snapshotKey, type SnapshotManifest } from '@/lib/hub/cache-index';
import { openCachedSnapshot } from '@/lib/hub/cache-source';
import { memoryStore } from '@/lib/hub/memory-store';
import { filesSource } from '@/lib/models/local-files-source';
import type { HubModelRef } from '@/lib/worker/cache-protocol';

const COMMIT = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const hubRef: HubModelRef = { endpoint: 'https://huggingface.co', repo: 'owner/sd-turbo', revision: 'main', subfolder: '' };
const localRef: HubModelRef = { endpoint: 'http://127.0.0.1:9999', repo: 'owner/sd-turbo', revision: 'main', subfolder: 'sd/scribble' };
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

/** Stores `files` (path → bytes) as a snapshot of `ref`; `partial` paths stay partial. */
async function putSnapshot(index: CacheIndex, ref: HubModelRef, commit: string, files: Record<string, Uint8Array>, partial: string[] = []) {
  const key = snapshotKey(ref, commit);
  const k = parseSnapshotKey(key);
  for (const [path, data] of Object.entries(files)) {
    const writer = await index.store.openPartial(snapshotFilePath(k, path), 0);
    await writer.write(partial.includes(path) ? data.subarray(0, data.length >> 1) : data);
    await writer.close();
    if (!partial.includes(path)) await index.store.commitPartial(snapshotFilePath(k, path));
  }
  const manifest: SnapshotManifest = {
    version: 1,
    key,
    ref,
    commit,
    files: Object.entries(files).map(([path, data]) => ({ path, size: data.length, complete: !partial.includes(path) })),
    complete: false,
    updatedAt: 1000,
  };
  await index.saveManifest(manifest);
  await index.writeRef(ref.endpoint, ref.repo, ref.revision, commit);
  return key;
}

describe('cache layout', () => {
  it('mirrors huggingface_hub: models--owner--name/{snapshots/<commit>,refs}, one root per endpoint', () => {
    const key = snapshotKey(localRef, COMMIT);
    expect(key).toBe(`127.0.0.1:9999/owner/sd-turbo@${COMMIT}:sd/scribble`);
    expect(parseSnapshotKey(key)).toEqual({ host: '127.0.0.1:9999', repo: 'owner/sd-turbo', commit: COMMIT, subfolder: 'sd/scribble' });
    expect(snapshotFilePath(parseSnapshotKey(key), 'unet/model.onnx')).toBe(
      `hub@127.0.0.1%3A9999/models--owner--sd-turbo/snapshots/${COMMIT}/sd/scribble/unet/model.onnx`,
    );
    const hubKey = parseSnapshotKey(snapshotKey(hubRef, COMMIT));
    expect(snapshotFilePath(hubKey, 'model_index.json')).toBe(`hub/models--owner--sd-turbo/snapshots/${COMMIT}/model_index.json`);
    expect(manifestPath(hubKey)).toBe(`hub/models--owner--sd-turbo/lantern/${COMMIT}.json`);
    expect(() => parseSnapshotKey('owner/sd-turbo@main')).toThrow(expect.objectContaining({ code: 'invalid-params', param: 'key' }));
    expect(() => snapshotKey({ ...hubRef, endpoint: 'huggingface.co' }, COMMIT)).toThrow(/ref.endpoint "huggingface.co" is not a URL/);
  });

  it('finds a complete snapshot offline through refs/, and not an incomplete one', async () => {
    const index = new CacheIndex(memoryStore());
    const key = await putSnapshot(index, hubRef, COMMIT, { 'model_index.json': bytes(10), 'unet/model.onnx': bytes(100) });
    expect(await readText(index.store, 'hub/models--owner--sd-turbo/refs/main')).toBe(COMMIT);
    const found = await index.find(hubRef);
    expect(found).toMatchObject({ key, commit: COMMIT, files: 2, bytes: 110, bytesDone: 110, complete: true });
    expect(await index.find({ ...hubRef, revision: COMMIT })).toMatchObject({ key });
    expect(await index.find({ ...hubRef, revision: 'v2' })).toBeNull();
    // The same repo on another endpoint is another cache.
    expect(await index.find({ ...hubRef, endpoint: 'http://127.0.0.1:9999' })).toBeNull();

    await putSnapshot(index, localRef, OTHER, { 'a.bin': bytes(50), 'b.bin': bytes(40) }, ['b.bin']);
    expect(await index.find(localRef)).toBeNull();
    const listed = await index.list();
    expect(listed.map((m) => [m.key, m.complete, m.bytesDone])).toEqual(
      expect.arrayContaining([
        [key, true, 110],
        [snapshotKey(localRef, OTHER), false, 50 + 20],
      ]),
    );
  });

  it('deletes one snapshot (the repo folder with it when nothing is left), or everything', async () => {
    const store = memoryStore();
    const index = new CacheIndex(store);
    const a = await putSnapshot(index, hubRef, COMMIT, { 'x.bin': bytes(64) });
    const b = await putSnapshot(index, localRef, OTHER, { 'y.bin': bytes(32) }, ['y.bin']);
    // Files and partials, plus the small manifests and refs.
    expect(await index.usage()).toBe(await store.usage());
    expect(await index.usage()).toBeGreaterThan(64 + 16);
    await index.delete(a);
    expect(store.paths().filter((p) => p.startsWith('hub/'))).toEqual([]);
    expect((await index.list()).map((m) => m.key)).toEqual([b]);
    await index.deleteAll();
    expect(store.paths()).toEqual([]);
    expect(await index.usage()).toBe(0);
  });

  it('a manifest cut by a crash is not trusted', async () => {
    const index = new CacheIndex(memoryStore());
    const key = await putSnapshot(index, hubRef, COMMIT, { 'x.bin': bytes(8) });
    await index.store.writeSmall(manifestPath(parseSnapshotKey(key)), new TextEncoder().encode('{"version":1,"key":'));
    expect(await index.find(hubRef)).toBeNull();
    await expect(openCachedSnapshot(key, index.store)).rejects.toThrow(/is not in this browser's cache/);
  });
});

describe('openCachedSnapshot', () => {
  it('reads, sizes, lists and locates (as File blobs) the files of a complete snapshot', async () => {
    const index = new CacheIndex(memoryStore());
    const unet = bytes(300, 7);
    const key = await putSnapshot(index, localRef, COMMIT, { 'model_index.json': bytes(5), 'unet/model.onnx': unet, 'unet/weights.pb': bytes(9) });
    const source = await openCachedSnapshot(key, index.store);
    expect(source.base).toBe('hf://owner/sd-turbo/sd/scribble/');
    const seen: number[] = [];
    expect(await source.readBytes('unet/model.onnx', (loaded) => seen.push(loaded))).toEqual(unet);
    expect(seen[seen.length - 1]).toBe(300);
    expect(await source.readBytes('unet/nope.onnx')).toBeNull();
    expect(await source.size('unet/weights.pb')).toBe(9);
    expect(await source.size('vae_decoder/model.onnx')).toBeNull();
    expect(await source.list!('')).toEqual(['model_index.json']);
    expect(await source.list!('unet')).toEqual(['model.onnx', 'weights.pb']);
    expect(await source.list!('vae_decoder')).toBeNull();
    const blob = source.locate!('unet/model.onnx').blob!;
    expect(blob).toBeInstanceOf(Blob);
    expect(new Uint8Array(await blob.slice(10, 20).arrayBuffer())).toEqual(unet.subarray(10, 20));
  });

  it('refuses an unfinished download, naming a missing file', async () => {
    const index = new CacheIndex(memoryStore());
    const key = await putSnapshot(index, hubRef, COMMIT, { 'a.bin': bytes(8), 'unet/model.onnx': bytes(8) }, ['unet/model.onnx']);
    const err = await openCachedSnapshot(key, index.store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err).toMatchObject({ code: 'model-missing-file', file: 'unet/model.onnx' });
  });

  it('refuses a snapshot whose file vanished or changed size behind the manifest', async () => {
    const index = new CacheIndex(memoryStore());
    const key = await putSnapshot(index, hubRef, COMMIT, { 'a.bin': bytes(8) });
    await index.store.delete(snapshotFilePath(parseSnapshotKey(key), 'a.bin'));
    await expect(openCachedSnapshot(key, index.store)).rejects.toMatchObject({ file: 'a.bin', message: expect.stringMatching(/lost the file/) });
  });
});

describe('memory store quota', () => {
  it('stores only the bytes that fit and throws StorageFullError naming the file', async () => {
    const store = memoryStore({ quota: 10 });
    const writer = await store.openPartial('hub/x.bin', 0);
    await writer.write(bytes(6));
    const err = await writer.write(bytes(6)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageFullError);
    expect(err).toMatchObject({ code: 'storage-full', file: 'hub/x.bin' });
    expect(await store.partialSize('hub/x.bin')).toBe(10);
    expect(await store.read('hub/x.bin')).toBeNull();
  });
});

describe('filesSource (a picked folder)', () => {
  const file = (data: Uint8Array, name: string) => new File([data.slice()], name);
  it('strips the picked folder name, lists, sizes and locates Files', async () => {
    const unet = bytes(40);
    const source = filesSource('my-model', [
      { path: 'my-model/model_index.json', file: file(bytes(3), 'model_index.json') },
      { path: 'my-model/unet/model.onnx', file: file(unet, 'model.onnx') },
    ]);
    expect(source.base).toBe('local://my-model/');
    expect(await source.list!('')).toEqual(['model_index.json']);
    expect(await source.list!('unet')).toEqual(['model.onnx']);
    expect(await source.list!('text_encoder')).toBeNull();
    expect(await source.size('unet/model.onnx')).toBe(40);
    expect(await source.readBytes('unet/model.onnx')).toEqual(unet);
    expect(source.locate!('unet/model.onnx').blob?.size).toBe(40);
  });

  it('keeps a top folder that is one of the model parts', async () => {
    const source = filesSource('x', [{ path: 'unet/model.onnx', file: file(bytes(4), 'model.onnx') }]);
    expect(await source.size('unet/model.onnx')).toBe(4);
  });
});
