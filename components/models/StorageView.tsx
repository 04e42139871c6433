'use client';
import { useEffect } from 'react';
import { formatRepoRef } from '@/lib/hub/repo-id';
import { useModels } from '@/stores/models';
import { deleteCached, openChoice, refreshLibrary, requestPersist } from './library';
import { formatBytes } from './format';

/** What this browser keeps: cached models with their sizes, delete one or all, and the origin's quota. */
export function StorageView() {
  const cached = useModels((m) => m.cached);
  const storage = useModels((m) => m.storage);
  useEffect(refreshLibrary, []);
  return (
    <section className="flex flex-col gap-2" aria-label="Storage" data-testid="storage-view">
      <h3 className="font-semibold">Stored in this browser</h3>
      {storage && (
        <p className="text-sm" data-testid="storage-estimate">
          {formatBytes(storage.usage)} used of {formatBytes(storage.quota)} this site may use ·{' '}
          {storage.persisted ? (
            <span data-testid="storage-persisted">kept until you delete it</span>
          ) : (
            <button type="button" data-testid="storage-persist" onClick={requestPersist} className="underline">
              ask the browser to keep it
            </button>
          )}
        </p>
      )}
      {cached.length === 0 ? (
        <p className="text-sm text-neutral-500">No downloaded models yet.</p>
      ) : (
        <ul className="flex flex-col gap-1 text-sm">
          {cached.map((m) => (
            <li key={m.key} className="flex items-center gap-2" data-testid="cached-model">
              <span className="grow">
                {formatRepoRef(m.ref)} <span className="text-neutral-500">@{m.commit.slice(0, 7)}</span> · {formatBytes(m.bytesDone)}
                {!m.complete && ` of ${formatBytes(m.bytes)} (partial)`}
              </span>
              {m.complete && (
                <button type="button" className="underline" onClick={() => openChoice({ kind: 'hub', repo: m.ref.repo, revision: m.commit, subfolder: m.ref.subfolder })}>
                  Use
                </button>
              )}
              <button type="button" data-testid="cached-delete" className="text-red-600 underline" onClick={() => deleteCached(m.key)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      {cached.length > 1 && (
        <button type="button" data-testid="cached-delete-all" className="self-start text-sm text-red-600 underline" onClick={() => deleteCached('all')}>
          Delete all downloaded models
        </button>
      )}
    </section>
  );
}
