/**
 * `only`: a catalogue entry that takes single files from a repo (SD 1.5 + scribble: TensorStack's
 * residual U-Net from controlnet/, a ControlNet from another repo's SD/Scribble/) fetches exactly
 * those, and a second selection of the same snapshot keeps what the first recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFolderError } from '@/lib/errors';
import { CacheIndex } from '@/lib/hub/cache-index';
import { HubClient } from '@/lib/hub/client';
import { memoryStore } from '@/lib/hub/memory-store';
import { downloadSnapshot, planSnapshot } from '@/lib/hub/snapshot-download';
import type { HubModelRef, StorageInfo } from '@/lib/worker/cache-protocol';
import { startHubEmulator, type HubEmulator } from '../../helpers/hub-emulator';

const REPO = 'lantern/tensorstack-sd15';
const storage = async (): Promise<StorageInfo> => ({ usage: 0, quota: 10e9, persisted: false });
let hub: HubEmulator;
let ref: HubModelRef;

beforeAll(async () => {
  hub = await startHubEmulator({ repos: [{ id: REPO, folder: 'models/fixtures/replicas/tensorstack-sd15-controlnet' }], lfsThreshold: 100_000 });
  ref = { endpoint: hub.endpoint, repo: REPO, revision: 'main', subfolder: '' };
});
afterAll(async () => {
  await hub?.stop();
});

describe('snapshot downloads of a selection', () => {
  it('fetches exactly the selected paths, and a later selection keeps the earlier files', async () => {
    const index = new CacheIndex(memoryStore());
    const client = new HubClient({ endpoint: hub.endpoint });
    const first = ['controlnet/model.onnx', 'model_index.json'];
    const plan = await planSnapshot({ ref, only: first, client, index, storage });
    expect(plan.plan.files.map((f) => f.path)).toEqual(first.slice().sort());
    hub.clearLog();
    await downloadSnapshot({ ref, only: first, client, index, storage, backoffMs: () => 1 });
    const fetched = hub.log.filter((l) => l.method === 'GET' && l.path.includes('/resolve/')).map((l) => l.file);
    expect(fetched.sort()).toEqual(first.slice().sort());

    const second = ['tokenizer/vocab.json'];
    await downloadSnapshot({ ref, only: second, client, index, storage, backoffMs: () => 1 });
    const manifest = await index.manifest(plan.plan.key);
    expect(
      manifest?.files
        .filter((f) => f.complete)
        .map((f) => f.path)
        .sort(),
    ).toEqual([...first, ...second].sort());
    // Nothing of the selections is missing any more; the whole folder still is.
    expect((await planSnapshot({ ref, only: [...first, ...second], client, index, storage })).plan.missingBytes).toBe(0);
    expect((await planSnapshot({ ref, client, index, storage })).plan.missingBytes).toBeGreaterThan(0);
  });

  it('a selected path the Hub does not list is a missing-file error naming it', async () => {
    const index = new CacheIndex(memoryStore());
    const err = await planSnapshot({ ref, only: ['SD/Scribble/model.onnx'], client: new HubClient({ endpoint: hub.endpoint }), index, storage }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ModelFolderError);
    expect((err as ModelFolderError).file).toBe('SD/Scribble/model.onnx');
  });
});
