'use client';
import { useBench } from '@/stores/bench';

/** What this page runs on: adapter, wasm threads, isolation, cores, browser. */
export function EnvironmentLine() {
  const device = useBench((b) => b.device);
  if (!device) return <p className="text-sm text-neutral-500">reading this device…</p>;
  const adapter = device.adapter ? `${device.adapter}${device.adapterSoftware ? ' (software: WebGPU here is far slower than wasm)' : ''}` : 'no WebGPU adapter';
  return (
    <p className="text-sm text-neutral-600 dark:text-neutral-400" data-testid="bench-environment">
      adapter <span data-testid="bench-adapter">{adapter}</span> · <span data-testid="bench-threads">{device.wasmThreads}</span> wasm thread
      {device.wasmThreads === 1 ? '' : 's'} asked
      {device.crossOriginIsolated ? '' : ' (page not cross-origin isolated)'} · {device.cores ?? '?'} cores · {device.browser}
    </p>
  );
}
