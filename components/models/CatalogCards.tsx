'use client';
import { useEffect } from 'react';
import { CATALOG, downloadBytes, entryVariants, hasApproxSizes, type CatalogEntry, type CatalogSource } from '@/lib/models/catalog';
import { judgeEntry, type FitReport } from '@/lib/models/fit';
import { readDeviceCaps } from '@/lib/onnx/device-caps';
import type { CachedModelSummary } from '@/lib/worker/cache-protocol';
import { useModels } from '@/stores/models';
import { useRun } from '@/stores/run';
import { formatBytes } from './format';
import { openChoice } from './library';

const VERDICT_TEXT: Record<FitReport['verdict'], string> = {
  fits: 'fits this device',
  tight: 'fits, tightly',
  'needs-f16': 'needs fp16 this GPU lacks',
  'too-big': 'too big for this device',
};
const VERDICT_CLASS: Record<FitReport['verdict'], string> = {
  fits: 'text-green-700 dark:text-green-400',
  tight: 'text-amber-700 dark:text-amber-400',
  'needs-f16': 'text-red-600',
  'too-big': 'text-red-600',
};

/** The cached snapshot of a Hub source, if any (a branch matches what it was downloaded as, a sha its commit). */
function cachedOf(source: CatalogSource, cached: readonly CachedModelSummary[]): CachedModelSummary | undefined {
  if (source.kind !== 'hub') return undefined;
  return cached.find(
    (m) => m.ref.repo === source.repo && m.ref.subfolder === source.subfolder && (m.commit === source.revision || m.ref.revision === source.revision),
  );
}

function capabilityText(e: CatalogEntry): string {
  const c = e.capabilities;
  const can = [c.txt2img && 'text → image', c.img2img && 'image → image', c.controlnet && `follows a ${c.controlnet}`].filter(Boolean).join(', ');
  const steps = c.steps.min === c.steps.max ? `${c.steps.min} step${c.steps.min > 1 ? 's' : ''}` : `${c.steps.min}–${c.steps.max} steps (default ${c.steps.default})`;
  return `${can} · ${steps} · ${c.size.width}×${c.size.height}${c.size.fixed ? ' only' : ''}`;
}

function Card({ entry }: { entry: CatalogEntry }) {
  const caps = useModels((m) => m.caps);
  const cached = useModels((m) => m.cached);
  const inUse = useRun((r) => r.model?.sourceLabel);
  const fit = caps ? judgeEntry(entry, caps).best : null;
  const variant = entryVariants(entry).find((v) => v.id === (fit?.variantId ?? 'default')) ?? entryVariants(entry)[0];
  const bytes = downloadBytes(variant.files);
  const here = cachedOf(variant.source, cached);
  const use = () => openChoice({ kind: 'catalog', id: entry.id, variant: variant.id });
  const assembled = variant.files.some((f) => f.from);
  const action =
    variant.source.kind === 'url' || assembled
      ? 'Use'
      : here?.complete
        ? 'Use (downloaded)'
        : here
          ? 'Resume download'
          : `Download ${hasApproxSizes(variant.files) ? '≈ ' : ''}${formatBytes(bytes)}`;
  const current = variant.source.kind === 'url' ? inUse === variant.source.baseUrl : here !== undefined && inUse?.startsWith(`${variant.source.repo}`);
  return (
    <li className="flex flex-col gap-1 rounded border border-neutral-300 p-3 text-sm dark:border-neutral-700" data-testid={`catalog-${entry.id}`}>
      <div className="flex items-baseline gap-2">
        <h4 className="font-semibold">{entry.name}</h4>
        <span className="text-neutral-500">{variant.label}</span>
        {current && <span className="rounded bg-amber-500/20 px-1 text-xs">in use</span>}
      </div>
      <p className="text-neutral-600 dark:text-neutral-400">{entry.description}</p>
      <p>{capabilityText(entry)}</p>
      <p className="text-neutral-500">
        {variant.source.kind === 'hub' ? `${variant.source.repo} · ` : 'built in · '}
        {hasApproxSizes(variant.files) ? '≈ ' : ''}
        {formatBytes(bytes)} · {entry.licence.url ? <a href={entry.licence.url} className="underline" target="_blank" rel="noreferrer">{entry.licence.name}</a> : entry.licence.name}
        {here && <span data-testid="catalog-cached"> · {here.complete ? 'downloaded' : `${formatBytes(here.bytesDone)} downloaded`}</span>}
      </p>
      {fit && (
        <details>
          <summary className={`cursor-pointer ${VERDICT_CLASS[fit.verdict]}`} data-testid="catalog-fit">
            {VERDICT_TEXT[fit.verdict]} · needs ≈ {formatBytes(fit.lowMemory ? fit.memory.peakLowMemory : fit.memory.peak)}
            {fit.lowMemory && ' in low-memory mode'} on {fit.backend ?? 'no backend'}
          </summary>
          <ul className="ml-4 list-disc text-neutral-600 dark:text-neutral-400">
            {fit.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </details>
      )}
      <button type="button" data-testid="catalog-use" onClick={use} className="self-start rounded bg-amber-500 px-3 py-1 font-semibold text-black disabled:opacity-50">
        {action}
      </button>
    </li>
  );
}

/** The curated models, each with its size, licence, what it does, whether it is here, and whether it fits this device. */
export function CatalogCards() {
  const patch = useModels((m) => m.patch);
  useEffect(() => {
    void readDeviceCaps().then((caps) => patch({ caps }));
  }, [patch]);
  return (
    <section aria-label="Catalogue" className="flex flex-col gap-2">
      <h3 className="font-semibold">Models that run in this browser</h3>
      <ul className="grid gap-2 md:grid-cols-2">
        {CATALOG.map((e) => (
          <Card key={e.id} entry={e} />
        ))}
      </ul>
    </section>
  );
}
