/** OnDemandSession: opened by the first run, shared by concurrent runs, released by unload, retried after a failed open. */
import { describe, expect, it } from 'vitest';
import { ioFromGraph, OnDemandSession, unloadAfterUse } from '@/lib/diffusion/part-sessions';
import type { ModelSession } from '@/lib/onnx/types';
import { tensor } from '@/lib/tensor/tensor';

function counted(failFirst = false) {
  const events: string[] = [];
  let opens = 0;
  const open = async (): Promise<ModelSession> => {
    opens++;
    events.push(`open ${opens}`);
    await Promise.resolve();
    if (failFirst && opens === 1) throw new Error('out of memory');
    const n = opens;
    return {
      label: 'text_encoder/model.onnx',
      inputs: [],
      outputs: [],
      run: async () => {
        events.push(`run on ${n}`);
        return { y: tensor([1], Float32Array.of(n)) };
      },
      release: async () => void events.push(`release ${n}`),
    };
  };
  return { events, session: new OnDemandSession('text_encoder/model.onnx', [], [], open) };
}

describe('OnDemandSession', () => {
  it('opens on the first run only, once for concurrent runs, and again after unload', async () => {
    const { events, session } = counted();
    expect(session.isOpen).toBe(false);
    await Promise.all([session.run({}), session.run({})]);
    expect(session.isOpen).toBe(true);
    await unloadAfterUse(session);
    expect(session.isOpen).toBe(false);
    await session.unload(); // twice: nothing more to release
    const again = await session.run({});
    expect(again.y.data[0]).toBe(2);
    await session.release();
    expect(events).toEqual(['open 1', 'run on 1', 'run on 1', 'release 1', 'open 2', 'run on 2', 'release 2']);
  });

  it('a failed open throws to the run and leaves nothing open; the next run opens again', async () => {
    const { events, session } = counted(true);
    await expect(session.run({})).rejects.toThrow('out of memory');
    expect(session.isOpen).toBe(false);
    await session.unload();
    expect((await session.run({})).y.data[0]).toBe(2);
    expect(events).toEqual(['open 1', 'open 2', 'run on 2']);
  });

  it('unloadAfterUse leaves a resident session alone', async () => {
    let released = 0;
    const resident: ModelSession = { label: 'unet', inputs: [], outputs: [], run: async () => ({}), release: async () => void released++ };
    await unloadAfterUse(resident);
    await unloadAfterUse(undefined);
    expect(released).toBe(0);
  });

  it('describes I/O from the graph; types it does not feed become null', () => {
    expect(
      ioFromGraph([
        { name: 'input_ids', dtype: 'int64', shape: ['batch', 77] },
        { name: 'mask', dtype: 'bool', shape: [1] },
      ]),
    ).toEqual([
      { name: 'input_ids', type: 'int64', shape: ['batch', 77] },
      { name: 'mask', type: null, shape: [1] },
    ]);
  });
});
