'use client';
import { useCallback, useEffect, useRef } from 'react';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import type { BackendPreference } from '@/lib/onnx/types';
import { loadModel, startGenerate } from './engine';
import { openChoice } from './models/library';
import { ModelBar } from './models/ModelBar';
import { PngRestore } from './PngRestore';
import { ModelPicker } from './models/ModelPicker';
import { GenerateBar } from './GenerateBar';
import { buildRunRequest } from './run-request';
import { SketchPanel } from './sketch/SketchPanel';
import { PromptFields } from './PromptFields';
import { ResultView } from './ResultView';
import { SamplerControls } from './SamplerControls';
import { StatusLine } from './StatusLine';
import { HistoryPanel } from './history/HistoryPanel';

const BACKENDS: readonly string[] = ['auto', 'webgpu', 'wasm'];

/** `?model=` and `?backend=` let a link (or a test) pick the model folder and backend for this page load. */
function urlOverrides(): { model: string | null; backend: BackendPreference | null } {
  const q = new URLSearchParams(window.location.search);
  const backend = q.get('backend');
  return { model: q.get('model'), backend: backend && BACKENDS.includes(backend) ? (backend as BackendPreference) : null };
}

export function Studio() {
  const backendSetting = useSettings((s) => s.backend);
  const lowMemory = useSettings((s) => s.lowMemory);

  // Opens the model at start and again when the backend or low-memory setting changes. The values come from
  // the store itself, not the render: the first render after a reload still shows the defaults (zustand's
  // server snapshot) and the saved ones a moment later, which must not open the model twice (audit: `[busy]`).
  const opened = useRef<string | null>(null);
  useEffect(() => {
    const { model, backend } = urlOverrides();
    const settings = useSettings.getState();
    const key = `${backend ?? settings.backend}|${settings.lowMemory}`;
    if (opened.current === key) return;
    opened.current = key;
    if (model) loadModel({ kind: 'url', baseUrl: model }, backend ?? settings.backend, settings.lowMemory);
    else openChoice(settings.model);
  }, [backendSetting, lowMemory]);

  const generateNow = useCallback(() => {
    if (useRun.getState().phase !== 'ready') return;
    startGenerate(buildRunRequest({ live: false }));
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        generateNow();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [generateNow]);

  return (
    <main className="mx-auto flex max-w-6xl flex-col gap-6 p-4 md:p-8">
      <header className="flex items-baseline justify-between">
        <h1 className="flex items-center gap-2 text-2xl font-bold">
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src="/icon.svg" alt="" width={28} height={28} /> Lantern
        </h1>
        <span className="text-sm text-neutral-500">diffusion in your browser — nothing leaves this device</span>
      </header>
      <ModelBar />
      <PngRestore />
      <ModelPicker />
      <div className="grid gap-6 md:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <section className="flex flex-col gap-4" aria-label="Settings">
          <PromptFields />
          <GenerateBar onGenerate={generateNow} />
          <SamplerControls />
        </section>
        <section className="flex flex-col gap-4" aria-label="Result">
          <ResultView />
          <HistoryPanel />
        </section>
        <section className="flex flex-col gap-3 md:col-span-2" aria-label="Sketch">
          <SketchPanel />
        </section>
      </div>
      <StatusLine />
    </main>
  );
}
