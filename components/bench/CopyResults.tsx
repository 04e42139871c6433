'use client';
import { useState } from 'react';
import { useBench } from '@/stores/bench';
import { fieldClass } from '../fields';
import { toMarkdown, type BenchReport } from './report';

type Format = 'json' | 'markdown';

const textOf = (report: BenchReport, format: Format) => (format === 'json' ? JSON.stringify(report, null, 2) : toMarkdown(report));

/**
 * Copy as JSON or as a markdown table. Where the clipboard is refused (no permission, an
 * insecure origin) the text appears in a box to copy by hand.
 */
export function CopyResults() {
  const report = useBench((b) => b.report);
  const running = useBench((b) => b.phase === 'running');
  const [copied, setCopied] = useState<Format | null>(null);
  const [fallback, setFallback] = useState<{ format: Format; text: string } | null>(null);
  if (!report) return null;
  const copy = async (format: Format) => {
    const text = textOf(report, format);
    setCopied(null);
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
      setFallback(null);
      setCopied(format);
    } catch {
      setFallback({ format, text });
    }
  };
  const button = 'rounded border border-neutral-400 px-3 py-1 text-sm hover:bg-neutral-100 disabled:opacity-50 dark:hover:bg-neutral-800';
  return (
    <section aria-label="Share" className="flex flex-col gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" data-testid="bench-copy-json" disabled={running} onClick={() => void copy('json')} className={button}>
          Copy JSON
        </button>
        <button type="button" data-testid="bench-copy-markdown" disabled={running} onClick={() => void copy('markdown')} className={button}>
          Copy markdown table
        </button>
        {copied && (
          <span data-testid="bench-copied" className="text-sm text-neutral-600 dark:text-neutral-400">
            {copied === 'json' ? 'JSON' : 'markdown'} copied
          </span>
        )}
      </div>
      {fallback && (
        <label className="flex flex-col gap-1 text-sm">
          <span>The browser did not allow copying: select the {fallback.format === 'json' ? 'JSON' : 'table'} here and copy it.</span>
          <textarea
            data-testid="bench-copy-fallback"
            readOnly
            rows={12}
            value={fallback.text}
            onFocus={(e) => e.currentTarget.select()}
            className={`${fieldClass} font-mono text-xs`}
          />
        </label>
      )}
      <details>
        <summary className="cursor-pointer text-sm text-neutral-600 dark:text-neutral-400">Raw JSON</summary>
        <pre data-testid="bench-json" className="overflow-x-auto text-xs">
          {JSON.stringify(report, null, 2)}
        </pre>
      </details>
    </section>
  );
}
