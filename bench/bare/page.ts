/** The bare page: starts the worker and lets the bench script drive it (`window.bare`). */
import type { BareLoad, BareReply, BareRequest } from './protocol';

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'lantern-bare' });

function ask(msg: BareRequest): Promise<BareReply> {
  return new Promise((resolve, reject) => {
    worker.addEventListener('message', (e: MessageEvent<BareReply>) => (e.data.type === 'error' ? reject(new Error(e.data.message)) : resolve(e.data)), {
      once: true,
    });
    worker.postMessage(msg);
  });
}

const status = document.getElementById('status')!;
(window as unknown as { bare: unknown }).bare = {
  async load(opts: Omit<BareLoad, 'type'>) {
    status.textContent = 'loading';
    const reply = await ask({ type: 'load', ...opts });
    status.textContent = 'loaded';
    return reply;
  },
  async run(n: number) {
    const reply = await ask({ type: 'run', n });
    return reply.type === 'ran' ? reply.times : [];
  },
};
