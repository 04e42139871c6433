/**
 * A local Hugging Face Hub for tests: a real HTTP server on 127.0.0.1 that serves folders as
 * model repos the way the Hub answers huggingface_hub, plus a second "CDN" origin the LFS files
 * redirect to.
 *   GET  /api/models/{repo}/revision/{rev}                 {id, sha, siblings}
 *   GET  /api/models/{repo}/tree/{rev}[/{path}]?recursive  [{type, path, size, oid, lfs?}], `Link: <…>; rel="next"` pages
 *   HEAD|GET /{repo}/resolve/{rev}/{path}                  small files: 200/206 with ETag = git blob sha1;
 *                                                          files over the LFS threshold: 302 to the CDN, X-Linked-Etag = sha256, X-Linked-Size
 * Every Hub answer carries X-Repo-Commit. Gated repos answer 401 (no token) or 403 (another token)
 * unless `Authorization: Bearer <token>`. Faults can be injected per file; every request is logged.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

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
  range?: string;
  authorization?: string;
  status: number;
  /** Body bytes sent (after a cut: fewer than promised). */
  bytes: number;
}

interface RepoFile {
  path: string;
  bytes: Buffer;
  oid: string;
  sha256: string;
  lfs: boolean;
}

interface Repo extends Required<Omit<EmulatedRepo, 'token'>> {
  token?: string;
  files: Map<string, RepoFile>;
}

type Fault = { kind: 'cut'; after: number } | { kind: 'status'; status: number } | { kind: 'corrupt'; always: boolean };

export interface HubEmulator {
  endpoint: string;
  cdn: string;
  log: LoggedRequest[];
  repos: Map<string, Repo>;
  /** The next GET of the file's bytes is cut after `afterBytes` body bytes. */
  cutOnce(path: string, afterBytes: number): void;
  /** The next request for the file answers `status` (default 500). */
  failOnce(path: string, status?: number): void;
  /** The next GET of the file (or every one, with `always`) flips a byte in the middle. */
  corruptOnce(path: string, always?: boolean): void;
  clearFaults(): void;
  stop(): Promise<void>;
}

export const fakeCommit = (id: string) => createHash('sha1').update(`lantern-emulator:${id}`).digest('hex');

async function walk(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(root, full)));
    else if (e.isFile()) out.push(relative(root, full).split('\\').join('/'));
  }
  return out.sort();
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export async function startHubEmulator(options: { repos: EmulatedRepo[]; lfsThreshold?: number; pageSize?: number }): Promise<HubEmulator> {
  const lfsThreshold = options.lfsThreshold ?? 100_000;
  const pageSize = options.pageSize ?? 5;
  const repos = new Map<string, Repo>();
  const bySha256 = new Map<string, RepoFile>();
  for (const r of options.repos) {
    const files = new Map<string, RepoFile>();
    for (const path of await walk(r.folder)) {
      const bytes = await readFile(join(r.folder, path));
      const oid = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const file = { path, bytes, oid, sha256, lfs: bytes.length > lfsThreshold };
      files.set(path, file);
      bySha256.set(sha256, file);
    }
    repos.set(r.id, { id: r.id, folder: r.folder, commit: r.commit ?? fakeCommit(r.id), branch: r.branch ?? 'main', token: r.token, files });
  }
  const log: LoggedRequest[] = [];
  const faults = new Map<string, Fault[]>();
  const takeFault = (path: string, get: boolean): Fault | undefined => {
    const list = faults.get(path);
    const i = list?.findIndex((f) => get || f.kind === 'status') ?? -1;
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
      status: 0,
      bytes: 0,
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
      return end(chunk as Buffer, ...rest);
    }) as typeof res.end;
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => (entry.status ||= res.statusCode));
    return entry;
  };

  const error = (res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-error-code': code, 'x-error-message': message, ...headers });
    res.end(JSON.stringify({ error: message }));
  };

  /** Sends a file's bytes with Range support and the injected faults. */
  const sendBytes = (req: IncomingMessage, res: ServerResponse, file: RepoFile, headers: Record<string, string>) => {
    const size = file.bytes.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    const head = { ...headers, 'content-length': String(end - start + 1), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (req.method === 'HEAD') {
      res.writeHead(status, head).end();
      return;
    }
    let body = file.bytes.subarray(start, end + 1);
    const fault = takeFault(file.path, true);
    if (fault?.kind === 'status') return error(res, fault.status, 'Injected', `injected ${fault.status}`);
    if (fault?.kind === 'corrupt') {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    res.writeHead(status, head);
    if (fault?.kind === 'cut') {
      res.write(body.subarray(0, fault.after), () => res.destroy());
      return;
    }
    res.end(body);
  };

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const segments = url.pathname.split('/').slice(1);
    const path = decodeURIComponent(url.pathname);
    record('hub', req, res, path);
    const api = segments[0] === 'api' && segments[1] === 'models';
    const [owner, name, verb, rawRev, ...rest] = api ? segments.slice(2) : segments;
    const repo = repos.get(`${owner}/${name}`);
    if (!repo) return error(res, 404, 'RepoNotFound', `Repository not found: ${owner}/${name}`);
    const auth = req.headers.authorization;
    if (repo.token && auth !== `Bearer ${repo.token}`) {
      return auth
        ? error(res, 403, 'GatedRepo', `Access to model ${repo.id} is restricted and you are not in the authorized list.`)
        : error(res, 401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it.`);
    }
    const rev = decodeURIComponent(rawRev ?? '');
    if (rev !== repo.branch && rev !== repo.commit) return error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const commitHeader = { 'x-repo-commit': repo.commit };
    const filePath = rest.map(decodeURIComponent).join('/');
    if (api && verb === 'revision' && rest.length === 0) {
      res.writeHead(200, { 'content-type': 'application/json', ...commitHeader });
      res.end(JSON.stringify({ id: repo.id, modelId: repo.id, sha: repo.commit, siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) }));
      return;
    }
    if (api && verb === 'tree') {
      const prefix = filePath ? `${filePath}/` : '';
      const recursive = ['1', 'true', 'True'].includes(url.searchParams.get('recursive') ?? '');
      const dirs = new Set<string>();
      const items: object[] = [];
      for (const f of repo.files.values()) {
        if (!f.path.startsWith(prefix)) continue;
        const tail = f.path.slice(prefix.length).split('/');
        for (let i = 1; i < tail.length && (recursive || i === 1); i++) dirs.add(prefix + tail.slice(0, i).join('/'));
        if (!recursive && tail.length > 1) continue;
        items.push({
          type: 'file',
          oid: f.oid,
          size: f.bytes.length,
          path: f.path,
          ...(f.lfs ? { lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: 134 } } : {}),
        });
      }
      if (filePath && items.length === 0 && dirs.size === 0) return error(res, 404, 'EntryNotFound', `${filePath} does not exist on "${rev}"`);
      for (const d of dirs) items.push({ type: 'directory', oid: createHash('sha1').update(d).digest('hex'), size: 0, path: d });
      items.sort((a, b) => ((a as { path: string }).path < (b as { path: string }).path ? -1 : 1));
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
    if (!api && verb === 'resolve') {
      const file = repo.files.get(filePath);
      if (!file) return error(res, 404, 'EntryNotFound', `${filePath} does not exist on "${rev}"`, commitHeader);
      const statusFault = takeFault(file.path, false);
      if (statusFault?.kind === 'status') return error(res, statusFault.status, 'Injected', `injected ${statusFault.status}`, commitHeader);
      if (file.lfs) {
        res.writeHead(302, {
          location: `${cdn}/blobs/${file.sha256}?repo=${encodeURIComponent(repo.id)}`,
          'x-linked-etag': `"${file.sha256}"`,
          'x-linked-size': String(file.bytes.length),
          etag: `"${file.oid}"`,
          ...commitHeader,
        });
        res.end();
        return;
      }
      return sendBytes(req, res, file, { etag: `"${file.oid}"`, ...commitHeader });
    }
    error(res, 404, 'EntryNotFound', `no route ${url.pathname}`);
  });

  const cdnServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    record('cdn', req, res, url.pathname);
    const file = bySha256.get(url.pathname.replace(/^\/blobs\//, ''));
    if (!file) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    const statusFault = takeFault(file.path, false);
    if (statusFault?.kind === 'status') return error(res, statusFault.status, 'Injected', `injected ${statusFault.status}`);
    sendBytes(req, res, file, { etag: `"${file.sha256}"` });
  });

  endpoint = await listen(hub);
  cdn = await listen(cdnServer);
  const add = (path: string, f: Fault) => faults.set(path, [...(faults.get(path) ?? []), f]);
  return {
    endpoint,
    cdn,
    log,
    repos,
    cutOnce: (path, after) => add(path, { kind: 'cut', after }),
    failOnce: (path, status = 500) => add(path, { kind: 'status', status }),
    corruptOnce: (path, always = false) => add(path, { kind: 'corrupt', always }),
    clearFaults: () => faults.clear(),
    stop: async () => {
      for (const s of [hub, cdnServer]) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
