import { describe, expect, it } from 'vitest';
import { errorActions, errorTitle, type ErrorContext } from '@/components/error-actions';
import type { LanternErrorCode } from '@/lib/errors';

const ctx: ErrorContext = { backend: 'webgpu', lowMemory: false, size: { width: 768, height: 768 }, native: { width: 512, height: 512 } };
const ids = (code: string, during: 'load' | 'run' = 'run', c: Partial<ErrorContext> = {}, suggestions?: string[]) =>
  errorActions({ code, message: 'x', during, suggestions }, { ...ctx, ...c }).map((a) => a.id);

describe('errorActions', () => {
  it('out of memory: the native size, low-memory mode, wasm, retry', () => {
    expect(ids('out-of-memory')).toEqual(['smaller-size', 'low-memory', 'switch-backend', 'retry']);
    expect(errorActions({ code: 'out-of-memory', message: '', during: 'run' }, ctx)[0].label).toBe('Use 512×512');
    // Already small, low-memory and on wasm: only a halved size and retry remain.
    expect(ids('out-of-memory', 'run', { backend: 'wasm', lowMemory: true, size: { width: 512, height: 512 } })).toEqual(['smaller-size', 'retry']);
  });
  it('a failed download offers retry and another model; a broken folder only another model', () => {
    expect(ids('fetch-failed', 'load')).toEqual(['retry', 'pick-model']);
    expect(ids('model-mismatch', 'load')).toEqual(['pick-model']);
    expect(ids('model-missing-file', 'load')).toEqual(['pick-model']);
  });
  it('device lost: retry, then wasm; a backend failure: the other backend', () => {
    expect(ids('device-lost')).toEqual(['retry', 'switch-backend']);
    expect(errorActions({ code: 'backend-failed', message: '', during: 'load' }, { ...ctx, backend: 'wasm' })[0].label).toBe('Switch to WebGPU');
  });
  it('invalid params name the setting in the message and offer nothing else', () => {
    expect(ids('invalid-params')).toEqual([]);
  });
  it("the worker's hints add actions the code alone does not", () => {
    expect(ids('backend-failed', 'run', {}, ['low-memory', 'smaller-size'])).toEqual(['switch-backend', 'pick-model', 'low-memory', 'smaller-size']);
  });
  it('every engine code has a title; an unknown one reads as internal', () => {
    const codes: LanternErrorCode[] = [
      'model-missing-file',
      'model-malformed',
      'model-unsupported',
      'fetch-failed',
      'backend-failed',
      'out-of-memory',
      'device-lost',
      'invalid-params',
      'cancelled',
      'storage-full',
      'model-mismatch',
      'non-finite-output',
    ];
    for (const c of codes.filter((c) => c !== 'cancelled')) expect(errorTitle(c)).not.toBe(errorTitle('internal'));
    expect(errorTitle('nope')).toBe('Something went wrong');
  });
});

describe('foreignOrigin', () => {
  it('names the origin of a model folder on another site, not of one on this one', async () => {
    const { foreignOrigin } = await import('@/components/models/ModelBar');
    expect(foreignOrigin('url', '/models/lantern-shapes/', 'http://127.0.0.1:3100/?x')).toBeNull();
    expect(foreignOrigin('url', 'https://example.org/m/', 'http://127.0.0.1:3100/')).toBe('https://example.org');
    expect(foreignOrigin('cache', 'https://example.org/m/', 'http://127.0.0.1:3100/')).toBeNull();
  });
});
