'use client';
import { useBench } from '@/stores/bench';
import { CONFIG_LABELS, formatBytes, formatMs, formatPct, type ConfigId, type ConfigSummary } from './report';

function TransferTable({ id, summary }: { id: ConfigId; summary: ConfigSummary }) {
  return (
    <div data-testid={`bench-transfer-${id}`} className="overflow-x-auto">
      <p className="text-sm">
        {CONFIG_LABELS[id]} · {summary.loop ?? 'host'} loop · pipeline overhead{' '}
        <strong data-testid="bench-overhead" title="step time minus the time inside the runtime's runs, over the step time">
          {formatPct(summary.overheadPct)}
        </strong>{' '}
        of a step
      </p>
      <table className="w-full text-sm">
        <thead>
          <tr className="text-neutral-500">
            <th className="text-left font-normal">part (per step)</th>
            <th className="px-2 text-right font-normal">up</th>
            <th className="px-2 text-right font-normal">down</th>
            <th className="px-2 text-right font-normal">runs</th>
            <th className="px-2 text-right font-normal">in runtime (ms)</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(summary.perStep).map(([label, t]) => (
            <tr key={label} className="border-t border-neutral-200 dark:border-neutral-800">
              <th scope="row" className="py-1 pr-3 text-left font-normal">
                {label}
              </th>
              <td className="px-2 text-right tabular-nums">{formatBytes(t.up)}</td>
              <td className="px-2 text-right tabular-nums">{formatBytes(t.down)}</td>
              <td className="px-2 text-right tabular-nums">{+t.runs.toFixed(2)}</td>
              <td className="px-2 text-right tabular-nums">{formatMs(t.runMs)}</td>
            </tr>
          ))}
          <tr className="border-t border-neutral-300 font-semibold dark:border-neutral-700" data-testid="bench-bytes-total">
            <th scope="row" className="py-1 pr-3 text-left">
              total
            </th>
            <td className="px-2 text-right tabular-nums">{formatBytes(summary.bytesPerStep.up)}</td>
            <td className="px-2 text-right tabular-nums">{formatBytes(summary.bytesPerStep.down)}</td>
            <td className="px-2 text-right tabular-nums" colSpan={2}>
              {formatBytes(summary.bytesPerStep.total)} / step
            </td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}

/** Per configuration: the bytes that crossed the runtime seam per denoising step, per part, and the pipeline's own share of a step. */
export function TransferTables() {
  const configs = useBench((b) => b.report?.configs);
  if (!configs) return null;
  return (
    <section aria-label="Bytes per step" className="flex flex-col gap-3">
      <h2 className="font-medium">Across the runtime seam</h2>
      {(Object.entries(configs) as Array<[ConfigId, ConfigSummary]>).map(([id, summary]) => (
        <TransferTable key={id} id={id} summary={summary} />
      ))}
    </section>
  );
}
