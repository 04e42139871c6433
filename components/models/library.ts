'use client';
/**
 * The glue between the model library UI and the cache worker (downloads into OPFS, storage):
 * turns its events into `useModels` updates and opens what it has cached in the diffusion
 * worker. Stores hold plain data; this module holds the worker.
 */
import { CacheClient } from '@/lib/worker/cache-client';
import type { CacheEvent, CachedModelSummary, DownloadPlan, HubModelRef } from '@/lib/worker/cache-protocol';
import { catalogEntry, entryVariants, fileOrigin, type ResolvedVariant } from '@/lib/models/catalog';
import { judgeVariant } from '@/lib/models/fit';
import { formatRepoRef } from '@/lib/hub/repo-id';
import type { BackendPreference } from '@/lib/onnx/types';
import type { ModelSourceSpec } from '@/lib/worker/protocol';
import { useHub, endpointOverride } from '@/stores/hub';
import { useModels, type DownloadGroup, type DownloadState } from '@/stores/models';
import { useRun } from '@/stores/run';
import { useSettings, type ModelChoice } from '@/stores/settings';
import { loadModel } from '../engine';

let client: CacheClient | null = null;
let downloadId: string | null = null;

function cache(): CacheClient {
  if (!client) {
    const worker = new Worker(new URL('../../lib/worker/cache.worker.ts', import.meta.url), { type: 'module', name: 'lantern-cache' });
    client = new CacheClient(worker);
  }
  return client;
}

/** The backend setting when this page first asked (after the saved settings were read). */
let settingAtLoad: BackendPreference | undefined;

/** The backend asked for: `?backend=` for this page load until the person picks a backend themselves, else the setting. */
export function backendInUse(): BackendPreference {
  const setting = useSettings.getState().backend;
  settingAtLoad ??= setting;
  const q = new URLSearchParams(window.location.search).get('backend');
  const fromUrl = q === 'auto' || q === 'webgpu' || q === 'wasm' ? q : null;
  return fromUrl && setting === settingAtLoad ? fromUrl : setting;
}

/** The endpoint in use: `?hub=` for this page load, else the saved setting. */
export function hubEndpoint(): string {
  return endpointOverride(window.location.search) ?? useHub.getState().endpoint;
}

const hubRef = (c: { repo: string; revision: string; subfolder: string }): HubModelRef => ({
  endpoint: hubEndpoint(),
  repo: c.repo,
  revision: c.revision,
  subfolder: c.subfolder,
});
const token = () => useHub.getState().token || undefined;
const fail = (e: Extract<CacheEvent, { type: 'error' }>) => ({ code: e.code, message: e.message });
const open = (source: ModelSourceSpec) => loadModel(source, backendInUse(), useSettings.getState().lowMemory);

/** What the status line calls a cached Hub model. */
export function cachedLabel(model: CachedModelSummary): string {
  return `${formatRepoRef({ repo: model.ref.repo, revision: model.ref.revision, subfolder: model.ref.subfolder })} (${model.commit.slice(0, 7)}, cached)`;
}

/** Opens a model choice: a URL folder directly; a Hub repo or catalogue entry from the cache (no network), else the picker offers its download. */
export function openChoice(choice: ModelChoice): void {
  useSettings.getState().set({ model: choice });
  if (choice.kind === 'url') return open({ kind: 'url', baseUrl: choice.baseUrl });
  if (choice.kind === 'hub') return openHub(hubRef(choice), formatRepoRef(choice));
  const entry = catalogEntry(choice.id);
  const variants = entry ? entryVariants(entry) : [];
  const variant = variants.find((v) => v.id === choice.variant) ?? variants[0];
  if (!entry || !variant) return;
  if (variant.source.kind === 'url') return open({ kind: 'url', baseUrl: variant.source.baseUrl });
  const caps = useModels.getState().caps;
  const report = caps ? judgeVariant(variant, caps) : null;
  const fit = report && { verdict: report.verdict, backend: report.backend, reasons: report.reasons };
  if (!variant.files.some((f) => f.from)) return openHub(hubRef(variant.source), entry.name, fit);
  offerDownload(entry.name, hubRef({ ...variant.source, subfolder: '' }), groupsOf(variant), fit);
}

type DeviceFit = DownloadState['deviceFit'];

function openHub(ref: HubModelRef, label: string, fit: DeviceFit = null): void {
  cache().send({ type: 'find', ref }, (e) => {
    if (e.type === 'found' && e.model?.complete) open({ kind: 'cache', key: e.model.key, label: cachedLabel(e.model) });
    else if (e.type === 'found') offerDownload(label, ref, null, fit);
    else if (e.type === 'error') useModels.getState().patch({ error: fail(e) });
  });
}

/** Groups the variant's files by the repo they come from: each group is one selection of one snapshot. */
function groupsOf(variant: ResolvedVariant): DownloadGroup[] {
  const groups = new Map<string, DownloadGroup>();
  for (const file of variant.files) {
    const from = fileOrigin(variant, file);
    const id = `${from.repo}@${from.revision}`;
    const g = groups.get(id) ?? { ref: hubRef({ repo: from.repo, revision: from.revision, subfolder: '' }), only: [], files: [], key: null, totalBytes: 0, missingBytes: 0 };
    g.only!.push(from.path);
    g.files.push({ path: from.path, as: file.path });
    groups.set(id, g);
  }
  return [...groups.values()];
}

const assembledSpec = (label: string, groups: DownloadGroup[]): ModelSourceSpec => ({
  kind: 'assembled',
  label: `${label} (assembled from ${groups.map((g) => g.ref.repo).join(' + ')}, cached)`,
  parts: groups.map((g) => ({ key: g.key!, files: g.files })),
});

function freshDownload(label: string, ref: HubModelRef, groups: DownloadGroup[] | null, deviceFit: DeviceFit): DownloadState {
  return { label, ref, groups, deviceFit, phase: 'planning', plan: null, files: [], bytesDone: 0, bytesTotal: 0, bytesPerSec: 0, etaSec: null, retries: 0, summary: null, error: null };
}

function planOf(ref: HubModelRef, only: string[] | undefined): Promise<DownloadPlan> {
  return new Promise((resolve, reject) =>
    cache().send({ type: 'plan', ref, token: token(), only }, (e) => {
      if (e.type === 'plan') resolve(e.plan);
      else if (e.type === 'error') reject(fail(e));
    }),
  );
}

/** One plan for the panel from each group's: files, totals and whether the sum fits. */
function combine(plans: DownloadPlan[]): DownloadPlan {
  const free = plans[0].storage.quota - plans[0].storage.usage;
  const missing = plans.reduce((n, p) => n + p.missingBytes, 0);
  return {
    ...plans[0],
    files: plans.flatMap((p) => p.files),
    totalBytes: plans.reduce((n, p) => n + p.totalBytes, 0),
    missingBytes: missing,
    fits: missing <= Math.max(0, free),
  };
}

/**
 * Asks the Hub what a download would fetch and whether it fits; a model already complete (every
 * selection of an assembled one) opens at once.
 */
function offerDownload(label: string, ref: HubModelRef, groups: DownloadGroup[] | null, fit: DeviceFit = null): void {
  useModels.getState().patch({ download: freshDownload(label, ref, groups, fit) });
  const { patchDownload } = useModels.getState();
  const selections = groups ?? [{ ref, files: [], key: null, totalBytes: 0, missingBytes: 0 } as DownloadGroup];
  Promise.all(selections.map((g) => planOf(g.ref, g.only))).then(
    (plans) => {
      const planned = groups?.map((g, i) => ({ ...g, key: plans[i].key, totalBytes: plans[i].totalBytes, missingBytes: plans[i].missingBytes })) ?? null;
      const plan = combine(plans);
      if (planned && plan.missingBytes === 0) {
        useModels.getState().patch({ download: null });
        return open(assembledSpec(label, planned));
      }
      patchDownload({ phase: 'ready-to-download', groups: planned, plan, bytesTotal: plan.totalBytes, bytesDone: plan.totalBytes - plan.missingBytes });
      useRun.getState().patch({ message: `${label} is not downloaded yet` });
      useModels.getState().patch({ pickerOpen: true });
    },
    (error: { code: string; message: string }) => {
      patchDownload({ phase: 'error', error });
      useModels.getState().patch({ pickerOpen: true });
    },
  );
}

/** Asks the Hub about a repo typed by hand (the picker's form). */
export function planDownload(ref: HubModelRef, label = formatRepoRef(ref)): void {
  offerDownload(label, ref, null);
}

/** Starts (or resumes: partial files continue with Range) the download in the picker; opens the model when it is complete. */
export function startDownload(): void {
  const d = useModels.getState().download;
  if (!d || downloadId) return;
  useModels.getState().patchDownload({ phase: 'downloading', error: null, summary: null });
  requestPersist();
  const queue = d.groups ? d.groups.filter((g) => g.missingBytes > 0) : [null];
  let before = d.groups ? d.groups.filter((g) => g.missingBytes === 0).reduce((n, g) => n + g.totalBytes, 0) : 0;
  let fetched = 0;
  let resumed = 0;
  let ms = 0;
  const next = () => {
    const group = queue.shift();
    if (group === undefined) return finished();
    const ref = group?.ref ?? d.ref;
    downloadId = cache().send({ type: 'download', ref, token: token(), only: group?.only }, (e) => {
      const { patchDownload } = useModels.getState();
      switch (e.type) {
        case 'download-progress':
          patchDownload({
            files: e.files,
            bytesDone: before + e.bytesDone,
            bytesTotal: d.bytesTotal,
            bytesPerSec: e.bytesPerSec,
            etaSec: e.etaSec,
            retries: e.retries,
          });
          break;
        case 'download-done':
          downloadId = null;
          fetched += e.fetchedBytes;
          resumed += e.resumedBytes;
          ms += e.ms;
          before += group ? group.totalBytes : 0;
          if (group) group.key = e.model.key;
          if (!group) return finished(e.model);
          next();
          break;
        case 'paused':
          downloadId = null;
          patchDownload({ phase: 'paused' });
          refreshLibrary();
          break;
        case 'cancelled':
          downloadId = null;
          useModels.getState().patch({ download: null });
          refreshLibrary();
          break;
        case 'error':
          downloadId = null;
          patchDownload({ phase: 'error', error: fail(e) });
          refreshLibrary();
          break;
      }
    });
  };
  const finished = (model?: CachedModelSummary) => {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    useModels.getState().patchDownload({
      phase: 'done',
      bytesDone: d.bytesTotal,
      summary: `downloaded ${mb(fetched)} MB in ${(ms / 1000).toFixed(1)} s${resumed ? `, ${mb(resumed)} MB resumed from an earlier try` : ''}`,
    });
    refreshLibrary();
    if (model) open({ kind: 'cache', key: model.key, label: cachedLabel(model) });
    else if (d.groups) open(assembledSpec(d.label, d.groups));
  };
  next();
}

export function pauseDownload(): void {
  if (downloadId) cache().pause(downloadId);
}

export function cancelDownload(): void {
  if (downloadId) cache().cancel(downloadId);
  else useModels.getState().patch({ download: null });
}

/** Lists what OPFS holds and how full the origin's storage is. */
export function refreshLibrary(): void {
  cache().send({ type: 'list' }, (e) => {
    if (e.type === 'models') useModels.getState().patch({ cached: e.models, storage: e.storage });
    else if (e.type === 'error') useModels.getState().patch({ error: fail(e) });
  });
}

export function deleteCached(key: string | 'all'): void {
  const body = key === 'all' ? ({ type: 'delete-all' } as const) : ({ type: 'delete', key } as const);
  cache().send(body, (e) => {
    if (e.type === 'deleted') refreshLibrary();
    else if (e.type === 'error') useModels.getState().patch({ error: fail(e) });
  });
}

export function requestPersist(): void {
  cache().send({ type: 'persist' }, (e) => {
    if (e.type === 'persisted') refreshLibrary();
  });
}
