'use client';
import { useCallback, useEffect, useRef } from 'react';
import { useRun } from '@/stores/run';
import { useSettings } from '@/stores/settings';
import { loadModel, startGenerate } from './engine';
import { backendInUse, openChoice } from './models/library';
import { ModelBar } from './models/ModelBar';
import { PngRestore } from './PngRestore';
import { ModelPicker } from './models/ModelPicker';
import { GenerateBar } from './GenerateBar';
import { buildRunRequest } from './run-request';
import { SketchPanel } from './sketch/SketchPanel';
import { PromptFields } from './PromptFields';
import { ResultView } from './ResultView';
import { ProgressBar } from './ProgressBar';
import { ErrorPanel } from './ErrorPanel';
import { SamplerControls } from './SamplerControls';
import { StatusLine } from './StatusLine';
import { HistoryPanel } from './history/HistoryPanel';
import { BenchLink } from './bench/BenchLink';

/** `?model=` lets a link (or a test) open a model folder for this page load (`?backend=`: components/models/library.ts). */
function urlModel(): string | null {
  return new URLSearchParams(window.location.search).get('model');
}

/**
 * Opens the model at start and again when the backend or low-memory setting changes. The values
 * come from the store itself, not the render: the first render after a reload still shows the
 * defaults (zustand's server snapshot) and the saved ones a moment later, which must not open the
 * model twice (audit: `[busy]`).
 */
function useModelOpener() {
  const backendSetting = useSettings((s) => s.backend);
  const lowMemory = useSettings((s) => s.lowMemory);
  const opened = useRef<string | null>(null);
  useEffect(() => {
    const model = urlModel();
    const settings = useSettings.getState();
    const backend = backendInUse();
    const key = `${backend}|${settings.lowMemory}`;
    if (opened.current === key) return;
    opened.current = key;
    if (model) loadModel({ kind: 'url', baseUrl: model }, backend, settings.lowMemory);
    else openChoice(settings.model);
  }, [backendSetting, lowMemory]);
}

function useGenerateShortcut(generateNow: () => void) {
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
}

/**
 * The page. Wide screens: the result, its progress, status and errors stay in view (sticky) in the
 * right column while the left holds prompt, sketch and settings, so one can draw and watch at once.
 * Phones: result first, then prompt, then canvas (the DOM order; the grid places them on wide screens).
 */
export function Studio() {
  useModelOpener();
  const generateNow = useCallback(() => {
    if (useRun.getState().phase !== 'ready') return;
    startGenerate(buildRunRequest({ live: false }), useSettings.getState().batchCount);
  }, []);
  useGenerateShortcut(generateNow);

  return (
    <main className="mx-auto flex max-w-7xl flex-col gap-4 p-3 md:p-6">
      <header className="flex flex-wrap items-center gap-3" data-testid="studio-header">
        <h1 className="flex items-center gap-2 text-2xl font-bold">
          {/* eslint-disable-next-line @next/next/no-img-element */}
          <img src="/icon.svg" alt="" width={28} height={28} /> Lantern
        </h1>
        <div className="min-w-0 grow">
          <ModelBar />
        </div>
      </header>
      <ModelPicker />
      <div className="grid gap-x-6 gap-y-4 md:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <section
          className="flex flex-col gap-3 md:sticky md:top-3 md:col-start-2 md:row-span-3 md:row-start-1 md:self-start"
          aria-label="Result"
          data-testid="result-panel"
        >
          <ResultView />
          <ProgressBar />
          <ErrorPanel />
          <StatusLine />
        </section>
        <section className="flex flex-col gap-3 md:col-start-1 md:row-start-1" aria-label="Prompt">
          <PromptFields />
          <GenerateBar onGenerate={generateNow} />
        </section>
        <section className="flex flex-col gap-3 md:col-start-1 md:row-start-2" aria-label="Sketch">
          <SketchPanel />
        </section>
        <section className="flex flex-col gap-4 md:col-start-1 md:row-start-3" aria-label="Settings">
          <SamplerControls />
          <PngRestore />
        </section>
      </div>
      <section aria-label="History">
        <HistoryPanel />
      </section>
      <footer className="flex flex-wrap gap-x-3 text-xs text-neutral-500">
        <span>diffusion in your browser — nothing leaves this device</span>
        <BenchLink />
      </footer>
    </main>
  );
}
