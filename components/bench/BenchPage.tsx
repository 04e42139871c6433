'use client';
import Link from 'next/link';
import { useEffect } from 'react';
import { readDeviceCaps } from '@/lib/onnx/device-caps';
import { useBench } from '@/stores/bench';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { loadModel } from '../engine';
import { backendInUse, openChoice } from '../models/library';
import { BenchSetup } from './BenchSetup';
import { BenchProgress } from './BenchProgress';
import { TimingsTable } from './TimingsTable';
import { TransferTables } from './TransferTables';
import { CopyResults } from './CopyResults';
import { optionsFromQuery } from './plan';
import { browserName, PUBLISH_NOTE } from './report';
import { wasmThreads } from '@/lib/onnx/web';

/**
 * The model to benchmark, chosen as the studio chooses it: the one the studio has open (coming
 * from the studio's link), else `?model=` / `?backend=`, else the saved model choice.
 */
function useBenchModel() {
  useEffect(() => {
    const asked = new URLSearchParams(window.location.search).get('model');
    const { model, phase } = useRun.getState();
    const backend = backendInUse();
    if (phase === 'loading-model') return;
    if (model && (!asked || model.sourceLabel === asked) && (backend === 'auto' || backend === model.backend)) return;
    const { lowMemory, model: choice } = useSettings.getState();
    if (asked) loadModel({ kind: 'url', baseUrl: asked }, backend, lowMemory);
    else openChoice(choice);
  }, []);
}

/** `?steps=`, `?repeats=`, and this browser: WebGPU adapter, wasm threads, cores, version. */
function usePageSetup() {
  useEffect(() => {
    const { patch } = useBench.getState();
    patch({ options: optionsFromQuery(window.location.search) });
    void readDeviceCaps().then((caps) => {
      const gpu = caps.gpu;
      patch({
        device: {
          userAgent: navigator.userAgent,
          browser: browserName(navigator.userAgent),
          adapter: gpu ? [gpu.vendor, gpu.architecture].filter(Boolean).join(' ') || gpu.description || 'unknown adapter' : null,
          adapterSoftware: gpu?.software ?? false,
          wasmThreads: wasmThreads({ isolated: caps.crossOriginIsolated, cores: caps.cores ?? 1 }),
          crossOriginIsolated: caps.crossOriginIsolated,
          cores: caps.cores,
        },
      });
    });
  }, []);
}

/** /bench: times the studio's own generates on this device, and says what crossed the runtime seam. */
export function BenchPage() {
  useBenchModel();
  usePageSetup();
  return (
    <main className="mx-auto flex max-w-5xl flex-col gap-4 p-3 md:p-6" data-testid="bench-page">
      <header className="flex flex-wrap items-baseline gap-3">
        <h1 className="text-2xl font-bold">Lantern benchmark</h1>
        <Link href="/" className="text-sm underline" data-testid="studio-link">
          ← studio
        </Link>
      </header>
      <p className="text-sm text-neutral-600 dark:text-neutral-400">
        Real generates through the studio&apos;s worker on this device: one cold run of each kind, then warm repeats, interleaved; medians of the warm runs.{' '}
        <span data-testid="publish-note">{PUBLISH_NOTE}</span>
      </p>
      <BenchSetup />
      <BenchProgress />
      <TimingsTable />
      <TransferTables />
      <CopyResults />
    </main>
  );
}
