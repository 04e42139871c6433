/**
 * Sessions that a low-memory pipeline opens only while it needs them. The text encoder
 * runs once per prompt and the VAE decoder once per image, yet together they hold ~350 MB
 * of SD 1.5 (fp16) beside the U-Net for the whole visit; on demand, each is opened for its
 * step and released after it, so the peak is the U-Net plus the larger of the two.
 */
import type { GraphValue } from '../onnx/graph-edit';
import type { ElementType, IoInfo, ModelSession } from '../onnx/types';

const FED: readonly string[] = ['float32', 'float16', 'float64', 'int64', 'int32'] satisfies ElementType[];

/** The graph's declared I/O as a session reports it, read from the graph summary (no session needed). */
export function ioFromGraph(values: readonly GraphValue[]): IoInfo[] {
  return values.map((v) => ({ name: v.name, type: FED.includes(v.dtype) ? (v.dtype as ElementType) : null, shape: v.shape }));
}

/**
 * A ModelSession whose runtime session exists only between the first `run` and `unload`.
 * Its inputs/outputs come from the graph, so the pipeline can inspect it while it is closed.
 */
export class OnDemandSession implements ModelSession {
  private session: Promise<ModelSession> | null = null;

  constructor(
    readonly label: string,
    readonly inputs: readonly IoInfo[],
    readonly outputs: readonly IoInfo[],
    private readonly open: () => Promise<ModelSession>,
  ) {}

  /** Whether a runtime session is open (or opening) now. */
  get isOpen(): boolean {
    return this.session !== null;
  }

  async run(feeds: Parameters<ModelSession['run']>[0], outputNames?: readonly string[]): ReturnType<ModelSession['run']> {
    if (!this.session) {
      const opening = this.open();
      this.session = opening;
      // A failed open leaves nothing to release: the next run tries again.
      opening.catch(() => {
        if (this.session === opening) this.session = null;
      });
    }
    return (await this.session).run(feeds, outputNames);
  }

  /** Releases the runtime session now; the next run opens it again. */
  async unload(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (!s) return;
    let session: ModelSession;
    try {
      session = await s;
    } catch {
      return; // never opened: nothing holds memory
    }
    await session.release();
  }

  release(): Promise<void> {
    return this.unload();
  }
}

/** After a step: releases `session` if it was opened on demand; a resident one stays. */
export async function unloadAfterUse(session: ModelSession | undefined): Promise<void> {
  if (session instanceof OnDemandSession) await session.unload();
}
