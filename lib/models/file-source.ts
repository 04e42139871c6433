import { ModelFolderError } from '../errors';

export { ModelFolderError };

/**
 * Where a model folder's files come from. The same loader reads a same-origin
 * `/models/...` folder in the browser, a Hub `resolve/main/` URL, or a local HTTP server in tests.
 */
export interface FileSource {
  /** Shown in errors, e.g. the base URL. */
  readonly base: string;
  /** Resolves null when the file does not exist (404), throws on other failures. */
  readBytes(path: string, onProgress?: (loaded: number, total: number | null) => void): Promise<Uint8Array | null>;
}


export function fetchSource(baseUrl: string, fetchImpl: typeof fetch = fetch): FileSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    base,
    async readBytes(path, onProgress) {
      const url = new URL(path, new URL(base, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/')).href;
      let res: Response;
      try {
        res = await fetchImpl(url);
      } catch (err) {
        throw new ModelFolderError('fetch-failed', path, `${base}${path}: request failed: ${(err as Error).message}`);
      }
      if (res.status === 404) return null;
      if (!res.ok) throw new ModelFolderError('fetch-failed', path, `${base}${path}: HTTP ${res.status} ${res.statusText}`);
      const lengthHeader = res.headers.get('content-length');
      const total = lengthHeader !== null ? Number(lengthHeader) : null;
      if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
      // Stream so the UI can show download progress for large weights.
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let loaded = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.length;
        onProgress(loaded, total);
      }
      const out = new Uint8Array(loaded);
      let offset = 0;
      for (const c of chunks) {
        out.set(c, offset);
        offset += c.length;
      }
      return out;
    },
  };
}
