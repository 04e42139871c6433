'use client';
import { formatRepoRef } from '@/lib/hub/repo-id';
import { useModels } from '@/stores/models';
import { cancelDownload, pauseDownload, startDownload } from './library';
import { formatBytes, formatEta } from './format';

const FIT_TEXT: Record<string, string> = {
  fits: 'it fits',
  tight: 'it fits, tightly',
  'needs-f16': 'it needs fp16 this GPU lacks',
  'too-big': 'it will not fit',
};

/** The download in the picker: what it will fetch and whether it fits, then per-file and total progress. */
export function DownloadPanel() {
  const d = useModels((m) => m.download);
  if (!d) return null;
  const pct = d.bytesTotal ? Math.floor((d.bytesDone / d.bytesTotal) * 100) : 0;
  const active = d.phase === 'downloading';
  return (
    <section className="flex flex-col gap-2 rounded border border-amber-500/60 p-3" aria-label="Download" data-testid="download-panel">
      <h3 className="font-semibold">
        {d.label} <span className="text-xs font-normal text-neutral-500">from {d.groups ? d.groups.map((g) => formatRepoRef(g.ref)).join(' + ') : formatRepoRef(d.ref)} at {d.ref.endpoint}</span>
      </h3>
      {d.phase === 'planning' && <p>Asking the Hub what this model needs…</p>}
      {d.plan && (
        <p data-testid="download-plan">
          {d.plan.files.length} files, {formatBytes(d.plan.totalBytes)}
          {d.plan.missingBytes < d.plan.totalBytes && `, ${formatBytes(d.plan.totalBytes - d.plan.missingBytes)} already here`} · storage:{' '}
          {formatBytes(d.plan.storage.usage)} used of {formatBytes(d.plan.storage.quota)} ·{' '}
          <strong data-testid="download-fits" className={d.plan.fits ? 'text-green-700' : 'text-red-600'}>
            {d.plan.fits ? 'fits' : `does not fit: ${formatBytes(d.plan.missingBytes)} needed, ${formatBytes(d.plan.storage.quota - d.plan.storage.usage)} free`}
          </strong>
        </p>
      )}
      {d.deviceFit && (
        <details data-testid="download-device-fit" open={d.deviceFit.verdict !== 'fits'}>
          <summary className={d.deviceFit.verdict === 'fits' ? 'text-green-700' : d.deviceFit.verdict === 'tight' ? 'text-amber-700' : 'text-red-600'}>
            this device: {FIT_TEXT[d.deviceFit.verdict] ?? d.deviceFit.verdict}
            {d.deviceFit.backend && ` on ${d.deviceFit.backend}`}
          </summary>
          <ul className="ml-4 list-disc text-sm text-neutral-600 dark:text-neutral-400">
            {d.deviceFit.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </details>
      )}
      {(active || d.phase === 'paused' || d.phase === 'done') && (
        <>
          <div role="progressbar" aria-label="Download progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 overflow-hidden rounded bg-neutral-200 dark:bg-neutral-800">
            <div className="h-full w-full origin-left bg-amber-500" style={{ transform: `scaleX(${pct / 100})` }} />
          </div>
          <p className="tabular-nums" data-testid="download-progress">
            {formatBytes(d.bytesDone)} / {formatBytes(d.bytesTotal)} ({pct} %) · {formatBytes(d.bytesPerSec)}/s · ETA {formatEta(d.etaSec)}
            {d.retries > 0 && ` · ${d.retries} retried`}
            {d.phase === 'paused' && ' · paused'}
          </p>
          <ul className="max-h-40 overflow-auto text-xs tabular-nums text-neutral-600 dark:text-neutral-400" data-testid="download-files">
            {d.files.map((f) => (
              <li key={f.path}>
                {f.path}: {f.state} {formatBytes(f.done)} / {formatBytes(f.size)}
              </li>
            ))}
          </ul>
        </>
      )}
      {d.summary && <p data-testid="download-summary">{d.summary}</p>}
      {d.error && (
        <p role="alert" data-testid="download-error" className="text-red-600">
          [{d.error.code}] {d.error.message}
        </p>
      )}
      <div className="flex gap-2">
        {(d.phase === 'ready-to-download' || d.phase === 'paused' || d.phase === 'error') && d.plan && (
          <button type="button" data-testid="download-start" onClick={startDownload} className="rounded bg-amber-500 px-3 py-1 font-semibold text-black">
            {d.phase === 'ready-to-download' && d.plan.missingBytes === d.plan.totalBytes ? `Download ${formatBytes(d.plan.missingBytes)}` : 'Resume'}
          </button>
        )}
        {active && (
          <button type="button" data-testid="download-pause" onClick={pauseDownload} className="rounded border border-neutral-400 px-3 py-1">
            Pause
          </button>
        )}
        {d.phase !== 'done' && (
          <button type="button" data-testid="download-cancel" onClick={cancelDownload} className="rounded border border-neutral-400 px-3 py-1">
            {active ? 'Cancel' : 'Close'}
          </button>
        )}
      </div>
    </section>
  );
}
