/**
 * The helper graphs' sessions, opened on first use through the pipeline's own factory (so
 * they run on the same backend and device as the U-Net) and kept until the pipeline is
 * released. A graph is keyed by what it was built for (dtype, batch, registers).
 */
import type { ModelSession } from '../../onnx/types';

export type OpenGraph = (label: string, model: Uint8Array) => Promise<ModelSession>;

export class HelperSessions {
  private readonly sessions = new Map<string, Promise<ModelSession>>();

  constructor(private readonly open: OpenGraph) {}

  /** The session for `key`, built by `build` the first time; a failed open is retried next time. */
  get(key: string, build: () => Uint8Array): Promise<ModelSession> {
    let s = this.sessions.get(key);
    if (!s) {
      s = this.open(`lantern/${key}`, build());
      this.sessions.set(key, s);
      const opening = s;
      opening.catch(() => {
        if (this.sessions.get(key) === opening) this.sessions.delete(key);
      });
    }
    return s;
  }

  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => (await s.catch(() => null))?.release()));
  }
}
