import { ModelFolderError } from '../errors';

export { ModelFolderError };

/** Where the runtime can open a file by itself, without the file passing through JS memory. */
export interface FileLocation {
  /** A local file path (Node: onnxruntime-node reads it and its external data). */
  localPath?: string;
  /** An absolute URL (browser: onnxruntime-web fetches external data itself). */
  url?: string;
  /** A file already on this device (browser: an OPFS or picked `File`); slicing a Blob copies nothing. */
  blob?: Blob;
}

/**
 * Where a model folder's files come from. The same loader reads a same-origin
 * `/models/...` folder in the browser, a Hub `resolve/main/` URL, or a local folder.
 */
export interface FileSource {
  /** Shown in errors, e.g. the base URL. */
  readonly base: string;
  /** Resolves null when the file does not exist (404), throws on other failures. */
  readBytes(path: string, onProgress?: (loaded: number, total: number | null) => void): Promise<Uint8Array | null>;
  /** The file's size in bytes, or null when it does not exist. */
  size(path: string): Promise<number | null>;
  /** File names directly inside `dir` ("" = the top), or null when the folder does not exist. Absent: the source cannot list (plain HTTP). */
  list?(dir: string): Promise<string[] | null>;
  locate?(path: string): FileLocation;
}

export function fetchSource(baseUrl: string, fetchImpl: typeof fetch = fetch): FileSource {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const urlOf = (path: string) => new URL(path, new URL(base, (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/')).href;
  const request = async (path: string, init?: RequestInit): Promise<Response | null> => {
    let res: Response;
    try {
      res = await fetchImpl(urlOf(path), init);
    } catch (err) {
      throw new ModelFolderError('fetch-failed', path, `${base}${path}: request failed: ${(err as Error).message}`);
    }
    if (res.status === 404) return null;
    if (!res.ok) throw new ModelFolderError('fetch-failed', path, `${base}${path}: HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  return {
    base,
    locate: (path) => ({ url: urlOf(path) }),
    async size(path) {
      const res = await request(path, { method: 'HEAD' });
      if (res === null) return null;
      const length = res.headers.get('content-length');
      if (length === null) throw new ModelFolderError('fetch-failed', path, `${base}${path}: the server sends no Content-Length`);
      return Number(length);
    },
    async readBytes(path, onProgress) {
      const res = await request(path);
      if (res === null) return null;
      const lengthHeader = res.headers.get('content-length');
      const total = lengthHeader !== null ? Number(lengthHeader) : null;
      try {
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
      } catch (err) {
        // A server dying mid-body: name the file, not just "network error".
        throw new ModelFolderError('fetch-failed', path, `${base}${path}: download broke off: ${(err as Error).message}`);
      }
    },
  };
}
