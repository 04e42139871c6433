'use client';
/** "3 kept · 41 KB · this site uses 1.2 MB of 2.0 GB" (navigator.storage.estimate()). */
import { useHistory } from '@/stores/history';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function HistoryUsage() {
  const usage = useHistory((s) => s.usage);
  const estimate = useHistory((s) => s.estimate);
  const unsaved = useHistory((s) => s.pending.filter((p) => p.state === 'not-saved').length);
  return (
    <span data-testid="history-usage" className="text-sm text-neutral-600 dark:text-neutral-400">
      {usage.count} kept · {formatBytes(usage.bytes)}
      {unsaved > 0 && ` · ${unsaved} not saved`}
      {estimate && estimate.quota > 0 && ` · this site uses ${formatBytes(estimate.usage)} of ${formatBytes(estimate.quota)}`}
    </span>
  );
}
