'use client';
import { useState } from 'react';
import { parseRepoRef } from '@/lib/hub/repo-id';
import { openChoice } from './library';
import { fieldClass } from '../fields';

/** "Open any Hub repo": owner/repo[@revision][:subfolder], opened from the cache or offered for download. */
export function HubRepoForm() {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    try {
      const ref = parseRepoRef(value.trim(), 'Hub repo');
      setProblem(null);
      openChoice({ kind: 'hub', repo: ref.repo, revision: ref.revision, subfolder: ref.subfolder });
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return (
    <form onSubmit={submit} className="flex flex-col gap-1" aria-label="Open a Hub repo">
      <label className="flex flex-wrap items-center gap-2 text-sm">
        <span>Any Hub repo</span>
        <input
          data-testid="hub-repo"
          className={`${fieldClass} grow font-mono`}
          placeholder="owner/repo[@revision][:subfolder]"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" data-testid="hub-repo-open" className="rounded border border-neutral-400 px-3 py-1">
          Open
        </button>
      </label>
      {problem && (
        <p role="alert" className="text-sm text-red-600" data-testid="hub-repo-error">
          {problem}
        </p>
      )}
    </form>
  );
}
