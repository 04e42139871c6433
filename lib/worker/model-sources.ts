/** The FileSource a load-model request names, opened inside the diffusion worker. */
import { openCachedSnapshot } from '../hub/cache-source';
import { fetchSource, type FileSource } from '../models/file-source';
import { assembledSource, type AssembledFile } from '../models/assembled-source';
import { directorySource, filesSource } from '../models/local-files-source';
import type { ModelSourceSpec } from './protocol';

export async function openModelSource(spec: ModelSourceSpec): Promise<FileSource> {
  switch (spec.kind) {
    case 'url':
      return fetchSource(spec.baseUrl);
    case 'cache':
      // Read-only: the cache worker writes, this worker only opens complete, verified files.
      return openCachedSnapshot(spec.key);
    case 'assembled': {
      const files: AssembledFile[] = [];
      for (const part of spec.parts) {
        const source = await openCachedSnapshot(
          part.key,
          undefined,
          part.files.map((f) => f.path),
        );
        for (const f of part.files) files.push({ as: f.as, source, path: f.path });
      }
      return assembledSource(spec.label, files);
    }
    case 'files':
      return filesSource(spec.name, spec.files);
    case 'directory':
      return directorySource(spec.handle);
  }
}
