'use client';
/**
 * The glue between the model library UI and the cache worker (downloads into OPFS, storage):
 * turns its events into `useModels` updates and opens what it has cached in the diffusion
 * worker. Stores hold plain data; this module holds the worker.
 */
import { CacheClient } from '@/lib/worker/cache-client';
import type { CacheEvent, CachedModelSummary, HubModelRef } from '@/lib/worker/cache-protocol';
import { formatRepoRef } from '@/lib/hub/repo-id';
import { useHub, endpointOverride } from '@/stores/hub';
import { useModels, type DownloadState } from '@/stores/models';
import { useRun } from '@/stores/run';
import { useSettings, type ModelChoice } from '@/stores/settings';
import type { BackendPreference } from '@/lib/onnx/types';
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

/** The backend asked for: `?backend=` for this page load, else the setting. */
export function backendInUse(): BackendPreference {
  const q = new URLSearchParams(window.location.search).get('backend');
  return q === 'auto' || q === 'webgpu' || q === 'wasm' ? q : useSettings.getState().backend;
}

/** The endpoint in use: `?hub=` for this page load, else the saved setting. */
export function hubEndpoint(): string {
  return endpointOverride(window.location.search) ?? useHub.getState().endpoint;
}

export function hubRef(choice: { repo: string; revision: string; subfolder: string }): HubModelRef {
  return { endpoint: hubEndpoint(), repo: choice.repo, revision: choice.revision, subfolder: choice.subfolder };
}

const token = () => useHub.getState().token || undefined;
const fail = (e: Extract<CacheEvent, { type: 'error' }>) => ({ code: e.code, message: e.message });

/** What the status line calls a cached Hub model. */
export function cachedLabel(model: CachedModelSummary): string {
  return `${formatRepoRef({ repo: model.ref.repo, revision: model.ref.revision, subfolder: model.ref.subfolder })} (${model.commit.slice(0, 7)}, cached)`;
}

function openCached(model: CachedModelSummary): void {
  loadModel({ kind: 'cache', key: model.key, label: cachedLabel(model) }, backendInUse(), useSettings.getState().lowMemory);
}

/** Opens a model choice: a URL folder directly; a Hub repo from the cache (no network), else the picker offers its download. */
export function openChoice(choice: ModelChoice, catalogId: string | null = null): void {
  useSettings.getState().set({ model: choice });
  if (choice.kind === 'url') {
    loadModel({ kind: 'url', baseUrl: choice.baseUrl }, backendInUse(), useSettings.getState().lowMemory);
    return;
  }
  const ref = hubRef(choice);
  cache().send({ type: 'find', ref }, (e) => {
    if (e.type === 'found' && e.model?.complete) openCached(e.model);
    else if (e.type === 'found') {
      useRun.getState().patch({ phase: useRun.getState().model ? 'ready' : 'idle', message: `${formatRepoRef(choice)} is not downloaded yet` });
      useModels.getState().patch({ pickerOpen: true });
      planDownload(ref, catalogId);
    } else if (e.type === 'error') useModels.getState().patch({ error: fail(e) });
  });
}

/** Asks the Hub what a download would fetch and whether it fits, without fetching it. */
export function planDownload(ref: HubModelRef, catalogId: string | null): void {
  const fresh: DownloadState = {
    ref,
    catalogId,
    phase: 'planning',
    plan: null,
    files: [],
    bytesDone: 0,
    bytesTotal: 0,
    bytesPerSec: 0,
    etaSec: null,
    retries: 0,
    summary: null,
    error: null,
  };
  useModels.getState().patch({ download: fresh });
  cache().send({ type: 'plan', ref, token: token() }, (e) => {
    const { patchDownload } = useModels.getState();
    if (e.type === 'plan') patchDownload({ phase: 'ready-to-download', plan: e.plan, bytesTotal: e.plan.totalBytes, bytesDone: e.plan.totalBytes - e.plan.missingBytes });
    else if (e.type === 'error') patchDownload({ phase: 'error', error: fail(e) });
  });
}

/** Starts (or resumes: partial files continue with Range) the download in the picker; opens the model when it is complete. */
export function startDownload(): void {
  const d = useModels.getState().download;
  if (!d || downloadId) return;
  useModels.getState().patchDownload({ phase: 'downloading', error: null, summary: null });
  void cache().send({ type: 'persist' }, () => undefined);
  downloadId = cache().send({ type: 'download', ref: d.ref, token: token() }, (e) => {
    const { patchDownload } = useModels.getState();
    switch (e.type) {
      case 'download-progress':
        patchDownload({ files: e.files, bytesDone: e.bytesDone, bytesTotal: e.bytesTotal, bytesPerSec: e.bytesPerSec, etaSec: e.etaSec, retries: e.retries });
        break;
      case 'download-done': {
        downloadId = null;
        const mb = (n: number) => (n / 1e6).toFixed(1);
        patchDownload({
          phase: 'done',
          bytesDone: e.model.bytes,
          summary: `downloaded ${mb(e.fetchedBytes)} MB in ${(e.ms / 1000).toFixed(1)} s${e.resumedBytes ? `, ${mb(e.resumedBytes)} MB resumed from an earlier try` : ''}`,
        });
        refreshLibrary();
        openCached(e.model);
        break;
      }
      case 'paused':
        downloadId = null;
        patchDownload({ phase: 'paused', bytesDone: e.model.bytesDone });
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
}

export function pauseDownload(): void {
  if (downloadId) cache().send({ type: 'pause', target: downloadId });
}

export function cancelDownload(): void {
  if (downloadId) cache().send({ type: 'cancel', target: downloadId });
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
