/** createVerifier: the size always, the sha256 of LFS files, the git blob sha1 of the rest, over chunks as they stream. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ModelFolderError } from '@/lib/errors';
import { createVerifier } from '@/lib/hub/integrity';

const content = new TextEncoder().encode('{"_class_name": "StableDiffusionPipeline"}\n'.repeat(100));
const sha256 = createHash('sha256').update(content).digest('hex');
const gitSha1 = createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

async function check(expected: Parameters<typeof createVerifier>[0], bytes: Uint8Array, chunk = 7): Promise<unknown> {
  const v = await createVerifier(expected);
  for (let i = 0; i < bytes.length; i += chunk) v.update(bytes.subarray(i, i + chunk));
  expect(v.received).toBe(bytes.length);
  try {
    v.finish();
    return null;
  } catch (err) {
    return err;
  }
}

describe('createVerifier', () => {
  it('accepts the promised sha256 over any chunking (and upper-case hex)', async () => {
    expect(await check({ path: 'a', size: content.length, sha256 }, content, 1)).toBeNull();
    expect(await check({ path: 'a', size: content.length, sha256: sha256.toUpperCase() }, content, 4096)).toBeNull();
  });

  it('accepts the git blob sha1 of a small file', async () => {
    expect(gitSha1).not.toBe(createHash('sha1').update(content).digest('hex')); // the "blob {size}\0" header matters
    expect(await check({ path: 'model_index.json', size: content.length, oid: gitSha1 }, content)).toBeNull();
  });

  it('one flipped byte fails the sha256, naming the file and both hashes', async () => {
    const bad = Uint8Array.from(content);
    bad[100] ^= 1;
    const err = await check({ path: 'unet/model.onnx_data', size: content.length, sha256 }, bad);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err).toMatchObject({ problem: 'malformed-file', code: 'model-malformed', file: 'unet/model.onnx_data' });
    expect((err as Error).message).toMatch(new RegExp(`unet/model\\.onnx_data: sha256 \\(LFS oid\\) is [0-9a-f]{64} but the Hub lists ${sha256}`));
  });

  it('a wrong git sha1 names the oid', async () => {
    const bad = Uint8Array.from(content);
    bad[0] ^= 1;
    expect(((await check({ path: 'm.json', size: content.length, oid: gitSha1 }, bad)) as Error).message).toMatch(/m\.json: git blob sha1 \(oid\) is/);
  });

  it('a short or long file fails on its size before any hash', async () => {
    const short = await check({ path: 'w.bin', size: content.length, sha256 }, content.subarray(1));
    expect((short as Error).message).toBe(
      `w.bin: downloaded ${content.length - 1} bytes but the Hub lists ${content.length}: the file is incomplete or not the one listed`,
    );
    const long = await check({ path: 'w.bin', size: 10 }, content);
    expect(long).toMatchObject({ problem: 'malformed-file' });
  });

  it('without a hash (or with an oid that is no sha1) only the size is checked', async () => {
    expect(await check({ path: 'x', size: content.length }, content)).toBeNull();
    expect(await check({ path: 'x', size: content.length, oid: 'not-a-sha' }, content)).toBeNull();
  });
});
