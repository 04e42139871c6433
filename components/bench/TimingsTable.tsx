'use client';
import { useBench } from '@/stores/bench';
import { formatMs, type Row } from './report';

function TimingRow({ row }: { row: Row }) {
  return (
    <tr data-testid={`bench-row-${row.id}`} className="border-t border-neutral-200 dark:border-neutral-800">
      <th scope="row" className="py-1 pr-3 text-left font-normal">
        {row.label}
      </th>
      <td className="px-2 text-right tabular-nums" data-testid="bench-first">
        {formatMs(row.first)}
      </td>
      <td className="px-2 text-right font-semibold tabular-nums" data-testid="bench-median">
        {formatMs(row.warm?.median)}
      </td>
      <td className="px-2 text-right text-neutral-500 tabular-nums">{row.warm ? `${formatMs(row.warm.min)}–${formatMs(row.warm.max)}` : (row.note ?? '—')}</td>
      <td className="px-2 text-right text-neutral-500 tabular-nums">{row.warm?.n ?? 0}</td>
    </tr>
  );
}

/** Text encoder, U-Net steps (CFG and not), ControlNet, VAE, whole image: cold run and warm medians, in ms. */
export function TimingsTable() {
  const report = useBench((b) => b.report);
  if (!report) return null;
  return (
    <section aria-label="Timings" className="overflow-x-auto">
      <p className="mb-1 text-sm" data-testid="bench-setup-line">
        {report.model.name} · {report.model.width}×{report.model.height} · {report.model.steps} steps ({report.model.sampler}) · {report.environment.backend} ·{' '}
        {report.firstRunCold ? 'first run: the first since the model loaded' : 'first run after earlier runs of this model (not cold)'} · loaded in{' '}
        {formatMs(report.model.loadMs)} ms{report.model.warmupMs !== null && ` + the worker's warm-up generate, ${formatMs(report.model.warmupMs)} ms`}
      </p>
      <table className="w-full text-sm" data-testid="bench-timings">
        <thead>
          <tr className="text-neutral-500">
            <th className="text-left font-normal">part</th>
            <th className="px-2 text-right font-normal">first run (ms)</th>
            <th className="px-2 text-right font-normal">warm median (ms)</th>
            <th className="px-2 text-right font-normal">warm min–max</th>
            <th className="px-2 text-right font-normal">n</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((row) => (
            <TimingRow key={row.id} row={row} />
          ))}
        </tbody>
      </table>
      {report.firstGenerateOverWarm !== null && (
        <p className="mt-1 text-xs text-neutral-500">The first whole image took {report.firstGenerateOverWarm.toFixed(2)}× the warm median.</p>
      )}
    </section>
  );
}
