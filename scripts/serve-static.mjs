#!/usr/bin/env node
// A small static file server for the export in out/ (what `npm start` and the e2e tests run).
// By default it sends COOP/COEP and the security headers (scripts/csp.mjs: a Content-Security-Policy
// with the export's inline-script hashes, nosniff, no framing), as a host that can set headers
// should; `--plain` sends none, like GitHub Pages, and leaves both to the service worker (out/sw.js).
// `--hub` (or LANTERN_HUB_ORIGINS) lists the origins connect-src allows besides 'self': the Hub
// endpoint and the CDN it redirects to; default huggingface.co, hf.co and their subdomains.
// HEAD answers with Content-Length (the model loader reads sizes that way) and single byte ranges
// answer 206, as every static host does.
//
//   node scripts/serve-static.mjs [--dir out] [--port 3000] [--host 127.0.0.1] [--plain] [--log]
//                                 [--hub 'https://mirror.example,https://cdn.mirror.example']
//
// `--port 0` picks a free port; the first line printed is always `serving <dir> on <url>`.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildPolicy, exportScriptHashes, parseHubOrigins, securityHeaders } from './csp.mjs';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
};
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

/** The file a URL path names: `/` → index.html, `/a` → a, a.html or a/index.html; null outside root or missing. */
async function findFile(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const base = resolve(root, `.${decoded}`);
  if (base !== root && !base.startsWith(root + sep)) return null;
  for (const candidate of [base, `${base}.html`, join(base, 'index.html')]) {
    const info = await stat(candidate).catch(() => null);
    if (info?.isFile()) return { file: candidate, size: info.size, mtime: info.mtime };
  }
  return null;
}

/** One satisfiable `bytes=a-b` / `bytes=a-` / `bytes=-n` range, 'invalid' for an unsatisfiable one, null for none or several. */
export function parseRange(header, size) {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  const start = m[1] === '' ? Math.max(0, size - Number(m[2])) : Number(m[1]);
  const end = m[1] === '' || m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start > end || start >= size ? 'invalid' : { start, end };
}

/**
 * The security headers for the export in `root`, recomputed when its index.html changes (a rebuild
 * under a running server has new inline scripts). Sent with every answer, not only pages: a
 * worker's policy is the one its script arrives with.
 */
function securityHeadersFor(root, hubOrigins, workerSources) {
  let stamp = null;
  let headers = {};
  return async () => {
    const now = (await stat(join(root, 'index.html')).catch(() => null))?.mtimeMs ?? 0;
    if (now !== stamp) {
      headers = securityHeaders(buildPolicy({ scriptHashes: exportScriptHashes(root), hubOrigins, workerSources }));
      stamp = now;
    }
    return headers;
  };
}

/** @param {{ root: string, isolate?: boolean, secure?: boolean, hubOrigins?: string[], workerSources?: string[], onRequest?: (line: string) => void }} opts */
export function createStaticServer({ root, isolate = true, secure = isolate, hubOrigins, workerSources = [], onRequest }) {
  const absRoot = resolve(root);
  const security = secure ? securityHeadersFor(absRoot, hubOrigins, workerSources) : async () => ({});
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const extra = await security();
    const send = (status, headers, body) => {
      res.writeHead(status, { ...(isolate ? ISOLATION : {}), ...extra, ...headers });
      onRequest?.(`${req.method} ${url.pathname}${url.search} ${status}${req.headers.range ? ` ${req.headers.range}` : ''}`);
      if (body && req.method !== 'HEAD') body.pipe(res);
      else res.end();
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { Allow: 'GET, HEAD' });
    let found = await findFile(absRoot, url.pathname);
    let status = 200;
    if (!found) {
      found = await findFile(absRoot, '/404.html');
      if (!found) return send(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      status = 404;
    }
    const etag = `"${found.size.toString(16)}-${found.mtime.getTime().toString(16)}"`;
    const headers = {
      'Content-Type': MIME[extname(found.file).toLowerCase()] ?? 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ETag: etag,
      'Last-Modified': found.mtime.toUTCString(),
      // Hashed build assets never change under their name; everything else is revalidated.
      'Cache-Control': url.pathname.startsWith('/_next/static/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (status === 200 && req.headers['if-none-match'] === etag) return send(304, headers);
    const range = status === 200 ? parseRange(req.headers.range, found.size) : null;
    if (range === 'invalid') return send(416, { ...headers, 'Content-Range': `bytes */${found.size}` });
    if (range) {
      const length = range.end - range.start + 1;
      const part = { ...headers, 'Content-Length': String(length), 'Content-Range': `bytes ${range.start}-${range.end}/${found.size}` };
      return send(206, part, createReadStream(found.file, { start: range.start, end: range.end }));
    }
    send(status, { ...headers, 'Content-Length': String(found.size) }, createReadStream(found.file));
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: 'out' },
      port: { type: 'string', default: process.env.PORT ?? '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      plain: { type: 'boolean', default: false },
      log: { type: 'boolean', default: false },
      hub: { type: 'string', default: process.env.LANTERN_HUB_ORIGINS ?? '' },
      // Tests only: worker-src also allows blob: (e2e/opfs-cache.spec.ts runs the bundled cache worker from a blob URL).
      'blob-workers': { type: 'boolean', default: false },
    },
  });
  let hubOrigins;
  try {
    hubOrigins = parseHubOrigins(values.hub);
  } catch (err) {
    console.error(`serve-static: --hub: ${err.message}`);
    process.exit(1);
  }
  const root = resolve(values.dir);
  const found = await stat(join(root, 'index.html')).catch(() => null);
  if (!found) {
    console.error(`serve-static: ${join(root, 'index.html')} not found; run \`npm run build\` first`);
    process.exit(1);
  }
  const onRequest = values.log ? (line) => console.log(line) : undefined;
  const workerSources = values['blob-workers'] ? ['blob:'] : [];
  const server = createStaticServer({ root, isolate: !values.plain, hubOrigins, workerSources, onRequest });
  server.listen(Number(values.port), values.host, () => {
    const { port } = server.address();
    console.log(
      `serving ${values.dir} on http://${values.host}:${port}/ (${values.plain ? 'no isolation or security headers' : `COOP/COEP and CSP on, connect-src 'self' ${hubOrigins.join(' ')}`})`,
    );
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
