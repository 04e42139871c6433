/**
 * Gives queued events (a worker's cancel message) a chance to run. Awaiting onnxruntime's
 * wasm backend alone only queues microtasks, so without a real task boundary a cancel
 * message would wait for the whole loop. MessageChannel avoids setTimeout's 4 ms clamp.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
