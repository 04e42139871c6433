'use client';
import { useModels } from '@/stores/models';
import { useSettings } from '@/stores/settings';
import { CatalogCards } from './CatalogCards';
import { DownloadPanel } from './DownloadPanel';
import { HubRepoForm } from './HubRepoForm';
import { HubSettingsForm } from './HubSettingsForm';
import { LocalFolderOpen } from './LocalFolderOpen';
import { StorageView } from './StorageView';

/** The model library: curated models, any Hub repo, a local folder, what is stored, and how memory is used. */
export function ModelPicker() {
  const open = useModels((m) => m.pickerOpen);
  const error = useModels((m) => m.error);
  const lowMemory = useSettings((s) => s.lowMemory);
  const set = useSettings((s) => s.set);
  if (!open) return null;
  return (
    <section className="flex flex-col gap-4 rounded border border-neutral-300 p-4 dark:border-neutral-700" aria-label="Models" data-testid="model-picker">
      <DownloadPanel />
      <CatalogCards />
      <HubRepoForm />
      <LocalFolderOpen />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" data-testid="low-memory" checked={lowMemory} onChange={(e) => set({ lowMemory: e.target.checked })} />
        Low-memory mode: load the text encoder and the VAE decoder only while they run (less memory, slower pictures)
      </label>
      <StorageView />
      <HubSettingsForm />
      {error && (
        <p role="alert" className="text-sm text-red-600" data-testid="library-error">
          [{error.code}] {error.message}
        </p>
      )}
    </section>
  );
}
