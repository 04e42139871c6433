/**
 * A local Hugging Face Hub for tests: a real HTTP server on 127.0.0.1 that serves folders as
 * model repos the way the Hub answers huggingface_hub and browsers, plus a second "CDN" origin
 * the LFS files redirect to.
 *   GET  /api/models/{repo}/revision/{rev}                 {id, sha, siblings}
 *   GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive  [{type, oid, size, path, lfs?}], `Link: <…>; rel="next"` pages
 *   HEAD|GET /{repo}/resolve/{rev}/{path}                  small files: 200/206 with ETag = git blob sha1 (or, with
 *                                                          `relativeRedirects`, a 307 to /api/resolve-cache/… as the Hub does now);
 *                                                          files over the LFS threshold: 302 to the CDN, X-Linked-Etag = sha256, X-Linked-Size
 *   OPTIONS anything                                       CORS preflight: 204
 * Both origins answer CORS as the real ones were observed to: the Hub echoes the Origin and lists
 * its exposed headers, the CDN answers `*`; both send `Cross-Origin-Resource-Policy: cross-origin`.
 * Every Hub answer carries X-Repo-Commit. Gated repos answer 401 (no token) or 403 (another token)
 * unless `Authorization: Bearer <token>`; a missing repo answers 401 RepoNotFound without a token
 * and 404 with one, like the Hub. Bytes stream from disk (a multi-GB file is never held), hashes
 * are computed once per path+size+mtime. Faults can be injected per file; every request is logged.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve } from 'node:path';

export interface EmulatedRepo {
  /** `owner/name`. */
  id: string;
  /** The local folder served as the repo's top. */
  folder: string;
  /** 40 hex digits; default a fixed fake sha derived from the id. */
  commit?: string;
  /** Branch that names the commit; default `main`. */
  branch?: string;
  /** Gated: only `Authorization: Bearer <token>` gets in. */
  token?: string;
}

export interface LoggedRequest {
  origin: 'hub' | 'cdn';
  method: string;
  /** Decoded path (no query). */
  path: string;
  url: string;
  /** The repo and file path the request was for (CDN requests included), when it named one. */
  repo?: string;
  file?: string;
  range?: string;
  authorization?: string;
  /** The `Origin` header a browser sent (`null` after a cross-origin redirect). */
  requestOrigin?: string;
  status: number;
  /** Body bytes sent (after a cut: fewer than promised). */
  bytes: number;
  /** The client went away before the answer was complete. */
  aborted: boolean;
  /** The answer is over (sent whole, cut, or abandoned by the client). */
  done: boolean;
}

export interface RepoFile {
  path: string;
  /** Absolute path of the bytes on disk. */
  absPath: string;
  size: number;
  /** Git blob sha1 of the content. */
  oid: string;
  sha256: string;
  lfs: boolean;
  /** The content, read from disk on each access: for small files (tests of huge files should read `absPath` as a stream). */
  readonly bytes: Buffer;
}

export interface Repo extends Required<Omit<EmulatedRepo, 'token'>> {
  token?: string;
  files: Map<string, RepoFile>;
}

type Fault = { repo?: string } & (
  { kind: 'cut'; after: number } | { kind: 'stall'; after: number; ms?: number } | { kind: 'status'; status: number } | { kind: 'corrupt'; always: boolean }
);

/** A file a fault is for: its path in any repo, or in one repo (when several repos hold the same paths). */
export type FileTarget = string | { repo: string; path: string };

export interface HubEmulatorOptions {
  repos: EmulatedRepo[];
  /** Files larger than this are LFS files (302 to the CDN, sha256 in the tree). Default 100 000 bytes. */
  lfsThreshold?: number;
  /** Tree entries per page before a `Link: rel="next"`. Default 5 (the Hub's is 1000; small here to exercise paging). */
  pageSize?: number;
  /** Small files answer a relative 307 to `/api/resolve-cache/…` first, as huggingface.co does since 2025. Default false. */
  relativeRedirects?: boolean;
  /** Hub and CDN ports (0 = any free one) and host. */
  port?: number;
  cdnPort?: number;
  host?: string;
  /** Body bytes per second for every file answer (null = as fast as possible); see also `throttle()`. */
  bytesPerSecond?: number | null;
}

export interface HubEmulator {
  endpoint: string;
  cdn: string;
  log: LoggedRequest[];
  repos: Map<string, Repo>;
  /** The next GET of the file's bytes is cut (connection destroyed) after `afterBytes` body bytes. */
  cutOnce(path: FileTarget, afterBytes: number): void;
  /** The next GET of the file's bytes sends `afterBytes` and then nothing: until the client gives up, or for `ms` before the rest. */
  stallOnce(path: FileTarget, afterBytes: number, ms?: number): void;
  /** The next request for the file answers `status` (default 500). */
  failOnce(path: FileTarget, status?: number): void;
  /** The next GET of the file (or every one, with `always`) flips a byte in the middle of the body. */
  corruptOnce(path: FileTarget, always?: boolean): void;
  clearFaults(): void;
  /** Limits every file answer to `bytesPerSecond` (null: unlimited), e.g. to pause a download midway in a browser test. */
  throttle(bytesPerSecond: number | null): void;
  /** Logged requests that carried the file's bytes (Hub 200/206 for small files, CDN for LFS), in order, optionally only GETs with a Range. */
  fileRequests(path: string, options?: { repo?: string; method?: string }): LoggedRequest[];
  /** GETs of the file's bytes that asked for a Range (the resumes). */
  rangeRequests(path: string, options?: { repo?: string }): LoggedRequest[];
  /** `{endpoint}/{repo}/resolve/{rev}/{path}`. */
  resolveUrl(repo: string, path: string, revision?: string): string;
  clearLog(): void;
  stop(): Promise<void>;
}

export const fakeCommit = (id: string) => createHash('sha1').update(`lantern-emulator:${id}`).digest('hex');

/** The Hub's `Access-Control-Expose-Headers` as observed on huggingface.co (2026), plus Content-Length. */
export const HUB_EXPOSED_HEADERS =
  'X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,Content-Length,X-Linked-Size,X-Linked-ETag,X-Xet-Hash';
export const ALLOWED_REQUEST_HEADERS = 'authorization, range, content-type, accept, accept-encoding';

// ─── hashing, once per file version ───────────────────────────────────────────

interface Hashes {
  oid: string;
  sha256: string;
}
const hashCache = new Map<string, Hashes>();
const hashKey = (abs: string, s: Stats) => `${abs}\0${s.size}\0${s.mtimeMs}`;

/** Git blob sha1 and sha256 of a file in one streaming pass, remembered by path+size+mtime (a 1 GB file is hashed once per process). */
export async function fileHashes(abs: string): Promise<Hashes> {
  const s = await stat(abs);
  const key = hashKey(abs, s);
  const known = hashCache.get(key);
  if (known) return known;
  const sha1 = createHash('sha1').update(`blob ${s.size}\0`);
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20 })) {
    sha1.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
  }
  const hashes = { oid: sha1.digest('hex'), sha256: sha256.digest('hex') };
  hashCache.set(key, hashes);
  return hashes;
}

/**
 * Writes a deterministic file of `size` bytes in 1 MiB blocks (each block differs, so a wrong
 * offset changes the hash) without holding it: the "≥ 1 GB synthetic model" of the e2e tests.
 */
export async function writeSyntheticFile(path: string, size: number, seed = 1): Promise<void> {
  const block = Buffer.alloc(1 << 20);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < block.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block.writeUInt32LE(x >>> 0, i);
  }
  const file = await open(path, 'w');
  try {
    for (let offset = 0, n = 0; offset < size; offset += block.length, n++) {
      block.writeUInt32LE(n, 0); // block number: no two blocks are alike
      await file.write(block, 0, Math.min(block.length, size - offset), offset);
    }
  } finally {
    await file.close();
  }
}

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, full)));
    else if (e.isFile() || e.isSymbolicLink()) out.push(relative(root, full).split('\\').join('/'));
  }
  return out.sort();
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => done(`http://${host}:${(server.address() as AddressInfo).port}`));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parses a single `bytes=` range against `size`: [start, end] inclusive, 'unsatisfiable', or null for none/unsupported. */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec((header ?? '').trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // absent, multi-range or malformed: the whole file, as many servers do
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return [start, end];
}

export async function startHubEmulator(options: HubEmulatorOptions): Promise<HubEmulator> {
  const lfsThreshold = options.lfsThreshold ?? 100_000;
  const pageSize = options.pageSize ?? 5;
  const host = options.host ?? '127.0.0.1';
  let bytesPerSecond = options.bytesPerSecond ?? null;
  const repos = new Map<string, Repo>();
  const bySha256 = new Map<string, { repo: Repo; file: RepoFile }>(); // first repo holding the blob
  const lfsFile = (repo: Repo, sha256: string) => [...repo.files.values()].find((f) => f.lfs && f.sha256 === sha256);
  for (const r of options.repos) {
    const files = new Map<string, RepoFile>();
    const root = resolve(r.folder);
    for (const path of await walk(root)) {
      const absPath = join(root, path);
      const { size } = await stat(absPath);
      const { oid, sha256 } = await fileHashes(absPath);
      const file: RepoFile = {
        path,
        absPath,
        size,
        oid,
        sha256,
        lfs: size > lfsThreshold,
        get bytes() {
          return readFileSync(absPath);
        },
      };
      files.set(path, file);
    }
    const repo: Repo = { id: r.id, folder: r.folder, commit: r.commit ?? fakeCommit(r.id), branch: r.branch ?? 'main', token: r.token, files };
    repos.set(r.id, repo);
    for (const f of files.values()) if (f.lfs && !bySha256.has(f.sha256)) bySha256.set(f.sha256, { repo, file: f });
  }
  const log: LoggedRequest[] = [];
  const faults = new Map<string, Fault[]>();
  const takeFault = (repo: string, path: string, get: boolean): Fault | undefined => {
    const list = faults.get(path);
    const i = list?.findIndex((f) => (!f.repo || f.repo === repo) && (get || f.kind === 'status')) ?? -1;
    if (!list || i < 0) return undefined;
    const f = list[i];
    if (!(f.kind === 'corrupt' && f.always)) list.splice(i, 1);
    return f;
  };

  let endpoint = '';
  let cdn = '';

  const record = (origin: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse, path: string) => {
    const entry: LoggedRequest = {
      origin,
      method: req.method ?? 'GET',
      path,
      url: req.url ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization,
      requestOrigin: req.headers.origin,
      status: 0,
      bytes: 0,
      aborted: false,
      done: false,
    };
    log.push(entry);
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer, ...rest: never[]) => {
      entry.bytes += chunk.length;
      return write(chunk, ...rest);
    }) as typeof res.write;
    const end = res.end.bind(res);
    res.end = ((chunk?: unknown, ...rest: never[]) => {
      if (Buffer.isBuffer(chunk)) entry.bytes += chunk.length;
      else if (typeof chunk === 'string') entry.bytes += Buffer.byteLength(chunk);
      return end(chunk as Buffer, ...rest);
    }) as typeof res.end;
    // The status is known once the head is written, before the body ends: tests read the log as soon as their fetch resolves.
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((status: number, ...rest: never[]) => {
      entry.status = status;
      return writeHead(status, ...rest);
    }) as typeof res.writeHead;
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => {
      entry.status ||= res.statusCode;
      if (!res.writableFinished) entry.aborted = true;
      entry.done = true;
    });
    return entry;
  };

  /** CORS as each origin answers it: the Hub echoes the page's Origin, the CDN allows any. */
  const cors = (origin: 'hub' | 'cdn', req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('cross-origin-resource-policy', 'cross-origin');
    if (origin === 'hub') {
      res.setHeader('access-control-allow-origin', req.headers.origin ?? 'https://huggingface.co');
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', HUB_EXPOSED_HEADERS);
    } else {
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-expose-headers', '*');
    }
  };

  /** OPTIONS: the preflight a browser sends before a GET with Authorization (or, in older browsers, Range). */
  const preflight = (res: ServerResponse) => {
    res.writeHead(204, {
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
      'access-control-max-age': '86400',
      'content-length': '0',
    });
    res.end();
  };

  const error = (res: ServerResponse, status: number, code: string | null, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...(code ? { 'x-error-code': code } : {}), 'x-error-message': message, ...headers });
    res.end(JSON.stringify({ error: message }));
  };

  /** Waits until the socket takes more, or the client is gone (false). */
  const drained = (res: ServerResponse) =>
    new Promise<boolean>((done) => {
      const ok = () => (res.off('close', gone), done(true));
      const gone = () => (res.off('drain', ok), done(false));
      res.once('drain', ok);
      res.once('close', gone);
    });

  /** Streams a file's bytes from disk with Range support, throttling and the injected faults. */
  const sendBytes = async (req: IncomingMessage, res: ServerResponse, repo: Repo, file: RepoFile, headers: Record<string, string>) => {
    const size = file.size;
    const range = parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' }).end();
      return;
    }
    const [start, end] = range ?? [0, size - 1];
    const status = range ? 206 : 200;
    const length = Math.max(0, end - start + 1);
    const head: Record<string, string> = {
      ...headers,
      'content-length': String(length),
      'accept-ranges': 'bytes',
      'content-type': 'application/octet-stream',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    };
    if (req.method === 'HEAD') {
      res.writeHead(status, head).end();
      return;
    }
    const fault = takeFault(repo.id, file.path, true);
    if (fault?.kind === 'status') return error(res, fault.status, null, `injected ${fault.status}`);
    res.writeHead(status, head);
    if (length === 0) return void res.end();
    const flipAt = fault?.kind === 'corrupt' ? length >> 1 : -1;
    const stopAt = fault?.kind === 'cut' || fault?.kind === 'stall' ? Math.min(fault.after, length) : length;
    const stream = createReadStream(file.absPath, { start, end, highWaterMark: bytesPerSecond ? 16 << 10 : 256 << 10 });
    let sent = 0;
    let gone = false;
    res.once('close', () => (gone = true));
    try {
      for await (const raw of stream) {
        let chunk = raw as Buffer;
        if (gone) break;
        if (flipAt >= sent && flipAt < sent + chunk.length) {
          chunk = Buffer.from(chunk);
          chunk[flipAt - sent] ^= 0xff;
        }
        if (sent < stopAt && sent + chunk.length > stopAt) {
          // The faulty boundary falls inside this chunk: send up to it, then the fault, then (a timed stall) the rest.
          const head = chunk.subarray(0, stopAt - sent);
          const tail = chunk.subarray(stopAt - sent);
          await new Promise<void>((r) => res.write(head, () => r()));
          sent += head.length;
          if (!(await faultAt())) return;
          chunk = tail;
        } else if (sent === stopAt && stopAt < length) {
          if (!(await faultAt())) return;
        }
        const more = res.write(chunk);
        sent += chunk.length;
        if (!more && !(await drained(res))) break;
        if (bytesPerSecond) await sleep((chunk.length / bytesPerSecond) * 1000);
      }
      if (!gone) res.end();
    } finally {
      stream.destroy();
    }
    /** At the cut/stall point: false when the answer ends here. */
    async function faultAt(): Promise<boolean> {
      if (fault?.kind === 'cut') {
        res.destroy();
        return false;
      }
      if (fault?.kind === 'stall') {
        if (fault.ms === undefined) return false; // nothing more, ever: the client's timeout (or stop()) closes it
        await sleep(fault.ms);
        return !gone;
      }
      return true;
    }
  };

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const segments = url.pathname.split('/').slice(1);
    const path = decodeURIComponent(url.pathname);
    const entry = record('hub', req, res, path);
    cors('hub', req, res);
    if (req.method === 'OPTIONS') return preflight(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, null, `${req.method} is not allowed`, { allow: 'GET, HEAD, OPTIONS' });
    const api = segments[0] === 'api' && segments[1] === 'models';
    const cache = segments[0] === 'api' && segments[1] === 'resolve-cache' && segments[2] === 'models';
    const [owner, name, verb, rawRev, ...rest] = cache ? [...segments.slice(3, 5), 'resolve-cache', ...segments.slice(5)] : api ? segments.slice(2) : segments;
    const repo = repos.get(`${owner}/${name}`);
    const auth = req.headers.authorization;
    if (!repo) {
      // The Hub does not tell a missing repo from a private one to anonymous callers: 401 RepoNotFound.
      return error(
        res,
        auth ? 404 : 401,
        'RepoNotFound',
        'Repository not found',
        auth ? {} : { 'www-authenticate': 'Bearer realm="Authentication required", charset="UTF-8"' },
      );
    }
    entry.repo = repo.id;
    if (repo.token && auth !== `Bearer ${repo.token}`) {
      return auth
        ? error(
            res,
            403,
            'GatedRepo',
            `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${endpoint}/${repo.id} to ask for access.`,
          )
        : error(
            res,
            401,
            'GatedRepo',
            `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
            {
              'www-authenticate': 'Bearer realm="Authentication required", charset="UTF-8"',
            },
          );
    }
    const rev = decodeURIComponent(rawRev ?? '');
    if (rev !== repo.branch && rev !== repo.commit) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const commitHeader = { 'x-repo-commit': repo.commit };
    const filePath = rest.map(decodeURIComponent).join('/');
    if (api && verb === 'revision' && rest.length === 0) {
      res.writeHead(200, { 'content-type': 'application/json', ...commitHeader });
      res.end(
        JSON.stringify({
          id: repo.id,
          modelId: repo.id,
          sha: repo.commit,
          private: false,
          gated: repo.token ? 'manual' : false,
          siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    if (api && verb === 'tree') {
      const prefix = filePath ? `${filePath}/` : '';
      const recursive = ['1', 'true', 'True'].includes(url.searchParams.get('recursive') ?? '');
      const dirs = new Set<string>();
      const items: { type: string; path: string; [key: string]: unknown }[] = [];
      for (const f of repo.files.values()) {
        if (!f.path.startsWith(prefix)) continue;
        const tail = f.path.slice(prefix.length).split('/');
        for (let i = 1; i < tail.length && (recursive || i === 1); i++) dirs.add(prefix + tail.slice(0, i).join('/'));
        if (!recursive && tail.length > 1) continue;
        // As the Hub lists a file: `size` is the content's (for LFS files too), `oid` the git blob sha1 of what git holds
        // (for LFS files the pointer's; here the content's, which no client reads as a hash for LFS files).
        items.push({ type: 'file', oid: f.oid, size: f.size, path: f.path, ...(f.lfs ? { lfs: { oid: f.sha256, size: f.size, pointerSize: 134 } } : {}) });
      }
      if (filePath && items.length === 0 && dirs.size === 0) return error(res, 404, 'EntryNotFound', `${filePath} does not exist on "${rev}"`, commitHeader);
      for (const d of dirs) items.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
      items.sort((a, b) => (a.path < b.path ? -1 : 1));
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = items.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...commitHeader };
      if (cursor + pageSize < items.length) {
        const next = new URL(url.pathname, endpoint);
        url.searchParams.forEach((v, k) => k !== 'cursor' && next.searchParams.set(k, v));
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      res.writeHead(200, headers).end(JSON.stringify(page));
      return;
    }
    if ((!api && verb === 'resolve') || verb === 'resolve-cache') {
      const file = repo.files.get(filePath);
      if (!file) return error(res, 404, 'EntryNotFound', `Entry not found`, commitHeader);
      entry.file = file.path;
      const statusFault = takeFault(repo.id, file.path, false);
      if (statusFault?.kind === 'status') return error(res, statusFault.status, null, `injected ${statusFault.status}`, commitHeader);
      if (file.lfs && verb === 'resolve') {
        res.writeHead(302, {
          location: `${cdn}/blobs/${file.sha256}?repo=${encodeURIComponent(repo.id)}&X-Amz-Expires=3600`,
          'x-linked-etag': `"${file.sha256}"`,
          'x-linked-size': String(file.size),
          etag: `"${file.oid}"`,
          'content-length': '0',
          ...commitHeader,
        });
        res.end();
        return;
      }
      if (verb === 'resolve' && options.relativeRedirects) {
        // huggingface.co answers small files with a same-site 307 to its resolve cache (huggingface_hub follows relative redirects).
        const location = `/api/resolve-cache/models/${repo.id}/${repo.commit}/${rest.join('/')}?etag=${encodeURIComponent(`"${file.oid}"`)}`;
        res.writeHead(307, { location, 'x-linked-etag': `"${file.oid}"`, 'x-linked-size': String(file.size), 'content-length': '0', ...commitHeader });
        res.end();
        return;
      }
      return sendBytes(req, res, repo, file, { etag: `"${file.oid}"`, ...commitHeader });
    }
    error(res, 404, 'EntryNotFound', `no route ${url.pathname}`);
  });

  const cdnServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const entry = record('cdn', req, res, url.pathname);
    cors('cdn', req, res);
    if (req.method === 'OPTIONS') return preflight(res);
    // The redirect names the repo (several may hold one blob: the log and the faults are per repo).
    const sha = url.pathname.replace(/^\/blobs\//, '');
    const named = repos.get(url.searchParams.get('repo') ?? '');
    const namedFile = named && lfsFile(named, sha);
    const found = named && namedFile ? { repo: named, file: namedFile } : bySha256.get(sha);
    if (!found) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    entry.repo = found.repo.id;
    entry.file = found.file.path;
    const statusFault = takeFault(found.repo.id, found.file.path, false);
    if (statusFault?.kind === 'status') return error(res, statusFault.status, null, `injected ${statusFault.status}`);
    void sendBytes(req, res, found.repo, found.file, { etag: `"${found.file.sha256}"` });
  });

  endpoint = await listen(hub, options.port ?? 0, host);
  cdn = await listen(cdnServer, options.cdnPort ?? 0, host);
  const add = (target: FileTarget, f: Fault) => {
    const [path, repo] = typeof target === 'string' ? [target, undefined] : [target.path, target.repo];
    faults.set(path, [...(faults.get(path) ?? []), { ...f, repo }]);
  };
  const fileRequests = (path: string, o: { repo?: string; method?: string } = {}) =>
    log.filter(
      (l) =>
        l.file === path &&
        (!o.repo || l.repo === o.repo) &&
        (!o.method || l.method === o.method) &&
        l.method !== 'OPTIONS' &&
        (l.origin === 'cdn' || !(l.status >= 300 && l.status < 400)),
    );
  return {
    endpoint,
    cdn,
    log,
    repos,
    cutOnce: (path, after) => add(path, { kind: 'cut', after }),
    stallOnce: (path, after, ms) => add(path, { kind: 'stall', after, ms }),
    failOnce: (path, status = 500) => add(path, { kind: 'status', status }),
    corruptOnce: (path, always = false) => add(path, { kind: 'corrupt', always }),
    clearFaults: () => faults.clear(),
    throttle: (bps) => (bytesPerSecond = bps),
    fileRequests,
    rangeRequests: (path, o = {}) => fileRequests(path, { ...o, method: 'GET' }).filter((l) => l.range !== undefined),
    resolveUrl: (repo, path, revision = 'main') =>
      `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${path.split('/').map(encodeURIComponent).join('/')}`,
    clearLog: () => void log.splice(0),
    stop: async () => {
      for (const s of [hub, cdnServer]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
