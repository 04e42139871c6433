/** Markdown tables of accuracies. */
import { ATTRIBUTES, type AccuracySummary } from './score';

export const percent = (v: number | null | undefined, digits = 1): string => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(digits)} %`);

/** One row per summary: label, images, each attribute, all. */
export function accuracyTable(rows: { label: string; summary: AccuracySummary }[], labelHeader = 'guidance'): string {
  const head = [labelHeader, 'images', ...ATTRIBUTES, 'all'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const { label, summary } of rows) {
    const cells = [label, String(summary.images), ...ATTRIBUTES.map((a) => percent(summary.attributes[a].mean)), percent(summary.all.mean)];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A plain table from rows of cells (first row = header). */
export function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
