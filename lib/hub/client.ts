/**
 * One client for the Hub's HTTP API, framework-free (browser and Node): revision → commit,
 * file listing (tree API, `Link` pagination), file metadata (HEAD, as huggingface_hub's
 * get_hf_file_metadata reads it) and streaming downloads that follow the 302 to the CDN.
 * Failures are ModelFolderErrors naming the file: 401/403 say the repo is gated or private and
 * how to send a token; 404 is a missing file.
 */
import { ModelFolderError } from '../errors';
import { DEFAULT_ENDPOINT, nextLink, normalizeEtag, resolveUrl, revisionUrl, treeUrl } from './repo-id';

export interface HubClientOptions {
  /** `HF_ENDPOINT`; default https://huggingface.co. */
  endpoint?: string;
  /** `HF_TOKEN`, sent as `Authorization: Bearer …` to the Hub (never to the CDN a download is sent on to). */
  token?: string;
  fetch?: typeof fetch;
  /**
   * How `download`/`headFile` meet the Hub's 302 to its CDN. `manual` (default; Node): each hop by
   * hand, so the LFS headers are read off the redirect and the token is never sent to the CDN.
   * `follow` (browsers): fetch follows the redirect itself, one request instead of two. A browser
   * cannot read a manual redirect's headers (the answer is an `opaqueredirect`), and it drops
   * `Authorization` when a redirect leaves the Hub's origin (Fetch standard), so the CDN never sees
   * the token either way. The price: `headFile` then reads the CDN's answer (its ETag, no X-Repo-Commit).
   */
  redirects?: 'manual' | 'follow';
  /**
   * What a 401/403 tells the person to do, in the words of where the token comes from: the CLI
   * says HF_TOKEN (the default), the studio its token field.
   */
  authHints?: Partial<AuthHints>;
}

export interface AuthHints {
  /** No token was sent and the Hub wants one. */
  missing: string;
  /** A token was sent and the Hub refused it for this repo. */
  refused: string;
}

const CLI_AUTH_HINTS: AuthHints = {
  missing: 'set HF_TOKEN to a Hub access token with read access (sent as Authorization: Bearer <token>)',
  refused: 'the token in HF_TOKEN has no access to it (a gated repo needs its terms accepted on the Hub with that account)',
};

export interface HubFileEntry {
  /** Path inside the repo (not the subfolder). */
  path: string;
  size: number;
  /** Git blob sha1. */
  oid: string;
  /** LFS files: the content's sha256 (`lfs.oid`). */
  sha256?: string;
}

export interface HubFileMeta {
  size: number;
  /** `X-Linked-Etag` for LFS files, else `ETag`, without quotes: the blob's name in the cache. */
  etag: string;
  /** `X-Repo-Commit`. */
  commit: string | null;
}

/** The Hub could not be reached at all (no HTTP answer): a cache may stand in. */
export class HubUnreachableError extends ModelFolderError {
  constructor(file: string, message: string) {
    super('fetch-failed', file, message);
    this.name = 'HubUnreachableError';
  }
}

/** The Hub answered with an HTTP failure; `status` tells a retry (5xx) from a refusal (401/403/404). */
export class HubHttpError extends ModelFolderError {
  constructor(
    problem: 'missing-file' | 'fetch-failed',
    file: string,
    message: string,
    readonly status: number,
  ) {
    super(problem, file, message);
    this.name = 'HubHttpError';
  }
}

interface TreeItem {
  type: string;
  path: string;
  size?: number;
  oid?: string;
  lfs?: { oid?: string; sha256?: string; size?: number };
}

/** Which repo and revision a request was for: named in the errors. */
interface RepoAt {
  repo: string;
  revision: string;
}

const MAX_REDIRECTS = 10;

export class HubClient {
  readonly endpoint: string;
  private readonly token?: string;
  private readonly fetchImpl: typeof fetch;
  readonly redirects: 'manual' | 'follow';
  private readonly hints: AuthHints;

  constructor(options: HubClientOptions = {}) {
    this.endpoint = (options.endpoint || DEFAULT_ENDPOINT).replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetchImpl = options.fetch ?? ((...args) => fetch(...args));
    this.redirects = options.redirects ?? 'manual';
    this.hints = { ...CLI_AUTH_HINTS, ...options.authHints };
  }

  /** Is a token configured (for messages: "set a token" vs "this token has no access")? */
  get hasToken(): boolean {
    return this.token !== undefined;
  }

  /** The commit sha a branch, tag or sha names (`api/models/{repo}/revision/{rev}`'s `sha`, as snapshot_download reads it). */
  async resolveRevision(repo: string, revision: string): Promise<string> {
    const what = `${repo}@${revision}`;
    const res = await this.request(revisionUrl(this.endpoint, repo, revision), { headers: { accept: 'application/json' } }, what, { repo, revision });
    const info = (await res.json().catch(() => null)) as { sha?: unknown } | null;
    if (typeof info?.sha !== 'string' || !/^[0-9a-f]{40}$/.test(info.sha)) {
      throw new ModelFolderError('fetch-failed', what, `${this.endpoint}: the revision answer for ${what} carries no commit sha`);
    }
    return info.sha;
  }

  /** Every file under `subfolder` ("" = the whole repo) at `revision`, following `Link: <…>; rel="next"` pages. */
  async listFiles(repo: string, revision: string, subfolder = ''): Promise<HubFileEntry[]> {
    const what = `${repo}@${revision}${subfolder ? `:${subfolder}` : ''}`;
    const files: HubFileEntry[] = [];
    let url: string | null = treeUrl(this.endpoint, repo, revision, subfolder);
    for (let page = 0; url; page++) {
      if (page > 10_000) throw new ModelFolderError('fetch-failed', what, `${this.endpoint}: the listing of ${what} does not end`);
      const res = await this.request(url, { headers: { accept: 'application/json' } }, subfolder || what, { repo, revision });
      const items = (await res.json().catch(() => null)) as TreeItem[] | null;
      if (!Array.isArray(items)) throw new ModelFolderError('fetch-failed', what, `${url}: the tree answer is not a JSON list`);
      for (const item of items) {
        if (item.type !== 'file') continue;
        const sha256 = item.lfs?.oid ?? item.lfs?.sha256;
        files.push({ path: item.path, size: Number(item.lfs?.size ?? item.size ?? 0), oid: item.oid ?? '', ...(sha256 ? { sha256 } : {}) });
      }
      const next = nextLink(res.headers.get('link'));
      url = next ? new URL(next, url).href : null;
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * HEAD of a file, as huggingface_hub's get_hf_file_metadata reads it: same-origin redirects
   * (a renamed repo, the Hub's relative 307 to its resolve cache) are followed, and the LFS
   * headers (X-Linked-Etag, X-Linked-Size) are read off the redirect to the CDN itself.
   */
  async headFile(repo: string, revision: string, path: string): Promise<HubFileMeta> {
    let url = resolveUrl(this.endpoint, repo, revision, path);
    const headers = { 'accept-encoding': 'identity' };
    if (this.redirects === 'follow') return this.metaOf(await this.request(url, { method: 'HEAD', headers }, path, { repo, revision }), path);
    for (let hop = 0; ; hop++) {
      const res = await this.send(url, { method: 'HEAD', headers, redirect: 'manual' }, path, true);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        const target = new URL(location, url);
        if (target.origin === new URL(url).origin) {
          url = target.href;
          continue;
        }
        // Another origin: the CDN. This answer is the LFS metadata.
      } else if (res.type === 'opaqueredirect') {
        // A browser hides a manual redirect's headers: follow it and read the final answer instead.
        return this.metaOf(await this.request(url, { method: 'HEAD', headers }, path, { repo, revision }), path);
      } else {
        await this.checked(res, path, { repo, revision });
      }
      return this.metaOf(res, path);
    }
  }

  /** GET a file as a streaming Response (200, or 206 for `range`), following the redirect to the CDN without the token. */
  async download(
    repo: string,
    revision: string,
    path: string,
    options: { range?: { start: number; end?: number }; signal?: AbortSignal } = {},
  ): Promise<Response> {
    // identity: a compressed answer would not be the bytes the Range and the hash count (CloudFront ignores a Range when it gzips).
    // Browsers keep their own Accept-Encoding (a forbidden header), which is harmless for the binary files LFS serves.
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (options.range) headers.range = `bytes=${options.range.start}-${options.range.end ?? ''}`;
    let url = resolveUrl(this.endpoint, repo, revision, path);
    if (this.redirects === 'follow') return this.request(url, { headers, signal: options.signal }, path, { repo, revision });
    let withToken = true;
    for (let hop = 0; ; hop++) {
      const res = await this.send(url, { headers, redirect: 'manual', signal: options.signal }, path, withToken);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location && hop < MAX_REDIRECTS) {
        await res.body?.cancel();
        const target = new URL(location, url);
        if (target.origin !== new URL(url).origin) withToken = false;
        url = target.href;
        continue;
      }
      if (res.type === 'opaqueredirect') {
        // Browser: let fetch follow (it drops Authorization on a cross-origin redirect itself).
        return this.checked(await this.send(url, { headers, signal: options.signal }, path, true), path, { repo, revision });
      }
      return this.checked(res, path, { repo, revision });
    }
  }

  private metaOf(res: Response, path: string): HubFileMeta {
    const etag = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    const size = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
    if (!etag) throw new ModelFolderError('fetch-failed', path, `${path}: the Hub's answer has no ETag, so the file cannot be cached`);
    if (size === null) throw new ModelFolderError('fetch-failed', path, `${path}: the Hub's answer has no size`);
    return { etag, size: Number(size), commit: res.headers.get('x-repo-commit') };
  }

  private async request(url: string, init: RequestInit, file: string, at: RepoAt): Promise<Response> {
    return this.checked(await this.send(url, init, file, true), file, at);
  }

  private async send(url: string, init: RequestInit, file: string, withToken: boolean): Promise<Response> {
    const headers = new Headers(init.headers);
    if (withToken && this.token) headers.set('authorization', `Bearer ${this.token}`);
    try {
      return await this.fetchImpl(url, { ...init, headers });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      // No HTTP answer: DNS, refused connection, TLS, or (in a browser, indistinguishable) a CORS refusal.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new HubUnreachableError(file, `${url}: request failed: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  }

  /** Maps an HTTP failure to a ModelFolderError naming `file`; passes 2xx through. */
  private async checked(res: Response, file: string, { repo, revision }: RepoAt): Promise<Response> {
    if (res.ok) return res;
    const code = res.headers.get('x-error-code');
    const serverMessage = res.headers.get('x-error-message');
    await res.body?.cancel().catch(() => undefined);
    const detail = `HTTP ${res.status}${code ? ` ${code}` : ''}${serverMessage ? `: ${serverMessage}` : ''}`;
    if (code === 'RepoNotFound') {
      // Anonymous callers get 401 for a repo that is missing or private (the Hub tells them apart only to a token holder).
      const hint = this.token ? '' : ` (or it is private: ${this.hints.missing})`;
      throw new HubHttpError('missing-file', file, `the repo ${repo} does not exist${hint} (${detail} for ${file})`, res.status);
    }
    if (res.status === 401 || res.status === 403) {
      const hint = this.token ? this.hints.refused : this.hints.missing;
      throw new HubHttpError('fetch-failed', file, `${repo} is gated or private, or does not exist (${detail} for ${file}): ${hint}`, res.status);
    }
    if (res.status === 404) {
      const what = code === 'RevisionNotFound' ? `the revision "${revision}" does not exist in ${repo}` : `${file} is not in ${repo} at "${revision}"`;
      throw new HubHttpError('missing-file', file, `${what} (${detail})`, 404);
    }
    throw new HubHttpError('fetch-failed', file, `${repo}: ${file}: ${detail} ${res.statusText}`.trim(), res.status);
  }
}
