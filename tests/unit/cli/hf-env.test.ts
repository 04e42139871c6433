/** The Hub settings the CLI reads from the environment, as huggingface_hub reads them. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubSource, hubToken, isOffline } from '@/cli/hf-cache';

describe('hubToken', () => {
  it('HF_TOKEN first, then the legacy HUGGING_FACE_HUB_TOKEN, then the saved login', async () => {
    const home = await mkdtemp(join(tmpdir(), 'lantern-hf-home-'));
    await writeFile(join(home, 'token'), 'hf_saved\n');
    expect(await hubToken({ HF_TOKEN: 'hf_env', HUGGING_FACE_HUB_TOKEN: 'hf_old', HF_HOME: home })).toBe('hf_env');
    expect(await hubToken({ HUGGING_FACE_HUB_TOKEN: 'hf_old', HF_HOME: home })).toBe('hf_old');
    expect(await hubToken({ HF_HOME: home })).toBe('hf_saved');
    expect(await hubToken({ HF_TOKEN: '', HF_HOME: home })).toBe('hf_saved'); // empty means unset, as in Python
  });

  it('HF_TOKEN_PATH names the saved token file; no file, no token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lantern-hf-token-'));
    await writeFile(join(dir, 'elsewhere'), 'hf_path');
    expect(await hubToken({ HF_TOKEN_PATH: join(dir, 'elsewhere'), HF_HOME: dir })).toBe('hf_path');
    expect(await hubToken({ HF_HOME: dir })).toBeUndefined();
    expect(await hubToken({ XDG_CACHE_HOME: dir })).toBeUndefined();
  });
});

describe('isOffline', () => {
  it('reads booleans as huggingface_hub does', () => {
    expect(['1', 'ON', 'yes', 'True'].map((v) => isOffline({ HF_HUB_OFFLINE: v }))).toEqual([true, true, true, true]);
    expect(['0', '', 'off', 'false'].map((v) => isOffline({ HF_HUB_OFFLINE: v }))).toEqual([false, false, false, false]);
    expect(isOffline({})).toBe(false);
  });
});

describe('HF_HUB_DOWNLOAD_TIMEOUT', () => {
  it('a value that is no positive number of seconds is refused, naming it', async () => {
    for (const bad of ['0', '-3', 'soon']) {
      await expect(hubSource({ repo: 'a/b', revision: 'main', subfolder: '' }, { env: { HF_HUB_DOWNLOAD_TIMEOUT: bad, HF_HUB_OFFLINE: '1' } })).rejects.toThrow(
        `HF_HUB_DOWNLOAD_TIMEOUT must be a number of seconds above 0 (got "${bad}")`,
      );
    }
  });
});
