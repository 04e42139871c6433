import { describe, expect, it } from 'vitest';
import { parseEntry, parsePayload, splitRecord } from '@/lib/history';
import { record } from './records';

describe('history records read back from storage (untrusted)', () => {
  it('a stored entry reads back as it was written', () => {
    const { entry } = splitRecord(record('a', 5));
    expect(parseEntry(structuredClone(entry))).toEqual({ entry, repairs: [] });
  });

  it('repairs bad parameters and fields, listing each parameter repair', () => {
    const { entry } = splitRecord(record('a', 5));
    const raw = { ...entry, params: { ...entry.params, steps: -3, scheduler: 'warp-drive', prompt: 7 }, sampler: 3, warnings: ['ok', 5], timings: null };
    const read = parseEntry(raw);
    expect(read?.entry.params.steps).toBe(1);
    expect(read?.entry.params.scheduler).toBe('default');
    expect(read?.entry.params.prompt).toBe('');
    expect(read?.entry.sampler).toBe('');
    expect(read?.entry.warnings).toEqual(['ok']);
    expect(read?.entry.timings).toEqual({ textEncoderMs: 0, unetStepMs: [], vaeMs: 0, totalMs: 0 });
    expect(read?.repairs.map((r) => r.split(':')[0]).sort()).toEqual(['prompt', 'scheduler', 'steps']);
  });

  it('keeps ControlNet and img2img parameters only when the run had them', () => {
    const plain = parseEntry(splitRecord(record('a', 5)).entry)?.entry.params;
    expect(plain).not.toHaveProperty('controlScale');
    expect(plain).not.toHaveProperty('strength');
    const r = record('b', 5);
    const withControl = parseEntry(splitRecord({ ...r, params: { ...r.params, controlScale: 0.8, controlStart: 0, controlEnd: 1 } }).entry)?.entry.params;
    expect(withControl?.controlScale).toBe(0.8);
  });

  it('refuses entries without an id, a time or a thumbnail', () => {
    const { entry } = splitRecord(record('a', 5));
    expect(parseEntry(null)).toBeNull();
    expect(parseEntry({ ...entry, id: 3 })).toBeNull();
    expect(parseEntry({ ...entry, createdAt: 'yesterday' })).toBeNull();
    expect(parseEntry({ ...entry, thumbnail: 'x.png' })).toBeNull();
  });

  it('drops an unusable sketch or init image from a payload, and says so', () => {
    const payload = {
      id: 'a',
      png: new Uint8Array(3),
      sketch: { width: 0, height: 64, background: null, strokes: [] },
      init: { width: 2, height: 2, data: new Uint8ClampedArray(3) },
    };
    const read = parsePayload(payload);
    expect(read?.payload.sketch).toBeNull();
    expect(read?.payload.init).toBeNull();
    expect(read?.repairs).toHaveLength(2);
    expect(read?.repairs[0]).toMatch(/^sketch: size/);
    expect(parsePayload({ id: 'a', png: 'not bytes' })).toBeNull();
  });
});
