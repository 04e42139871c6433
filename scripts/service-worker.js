// Lantern's service worker (template). scripts/write-service-worker.mjs writes it to out/sw.js
// after `next build`, prefixed with `const BUILD = { version, precache, headers }` for that build.
//
// 1. Cross-origin isolation on hosts that cannot set headers: every same-origin response it
//    serves gets COOP `same-origin` + COEP `require-corp`, so the page and its workers may use
//    SharedArrayBuffer (onnxruntime-web's wasm threads). require-corp rather than credentialless:
//    Safari knows only require-corp, and everything the studio loads cross-origin (the Hub) is
//    fetched with CORS, which require-corp allows.
// 2. The security headers (scripts/csp.mjs: CSP with the build's inline-script hashes, nosniff,
//    no framing) on the same responses, where the host sent none: a host's own policy wins.
// 3. Offline: the app shell (pages, hashed assets, the runtime the bundle loads from /ort/, the
//    embedded model) is cached per build; a new build's version drops the old caches.
// Cross-origin requests (the Hub, its CDN) are not touched: Hub downloads go to OPFS, not here.
/* global BUILD */

const CACHE = `lantern-shell-${BUILD.version}`;
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/** Paths whose bytes are fixed for a build: served from the cache first. */
const EMBEDDED_MODEL = '/models/lantern-shapes/';
const BUILD_FIXED = ['/_next/static/', '/ort/', EMBEDDED_MODEL, '/icon.svg'];

self.addEventListener('install', (event) => {
  self.skipWaiting();
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith('lantern-shell-') && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

/** Best effort: a file that fails to cache (quota, a flaky network) must not cost the page its isolation. */
async function precache() {
  const cache = await caches.open(CACHE);
  const results = await Promise.allSettled(
    BUILD.precache.map(async (path) => {
      if (await cache.match(path)) return;
      const res = await fetch(path, { cache: 'no-cache' });
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
      await cache.put(path, res);
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length) console.warn(`lantern sw: ${failed.length} of ${results.length} shell files not cached`, failed[0].reason);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // Chromium's devtools may issue these; fetch() would throw on them.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  event.respondWith(respond(request, url).then(isolated));
});

async function respond(request, url) {
  if (BUILD_FIXED.some((prefix) => url.pathname.startsWith(prefix))) return cacheFirst(request, url);
  return networkFirst(request, url);
}

/** Cached bytes when there are (Range and HEAD answered from them); else the network, kept for next time. */
async function cacheFirst(request, url) {
  const cached = await caches.match(url.pathname, { cacheName: CACHE });
  if (cached) return fromCache(request, cached);
  let res;
  try {
    res = await fetch(request);
  } catch (err) {
    // Offline: the embedded model's folder is cached whole, so what is not cached does not exist
    // (the loader probes optional files and must see a 404, not a network error).
    if (url.pathname.startsWith(EMBEDDED_MODEL)) return new Response(null, { status: 404, statusText: 'Not Found' });
    throw err;
  }
  if (request.method === 'GET' && res.status === 200 && !request.headers.has('range')) await keep(url.pathname, res.clone());
  return res;
}

/** Pages and everything else same-origin: fresh when online; offline, the cached copy (pages: the cached studio). */
async function networkFirst(request, url) {
  const shell = request.mode === 'navigate' || !url.pathname.slice(1).includes('/');
  try {
    const res = await fetch(request);
    if (shell && request.method === 'GET' && res.status === 200 && !request.headers.has('range')) await keep(url.pathname, res.clone());
    return res;
  } catch (err) {
    const cached =
      (await caches.match(url.pathname, { cacheName: CACHE })) ?? (request.mode === 'navigate' ? await caches.match('/', { cacheName: CACHE }) : undefined);
    if (!cached) throw err;
    return fromCache(request, cached);
  }
}

async function keep(path, res) {
  try {
    await (await caches.open(CACHE)).put(path, res);
  } catch (err) {
    console.warn(`lantern sw: could not cache ${path}`, err);
  }
}

/** A cached full response as the request wants it: headers only for HEAD, a 206 slice for a Range. */
async function fromCache(request, cached) {
  const range = request.headers.get('range');
  if (request.method !== 'HEAD' && !range) return cached;
  if (!range && cached.headers.has('content-length'))
    return new Response(null, { status: cached.status, statusText: cached.statusText, headers: cached.headers });
  const body = await cached.blob();
  const headers = new Headers(cached.headers);
  headers.set('Content-Length', String(body.size));
  headers.set('Accept-Ranges', 'bytes');
  if (!range) return new Response(null, { status: cached.status, statusText: cached.statusText, headers });
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  const start = !m || m[1] === '' ? Math.max(0, body.size - Number(m?.[2] ?? 0)) : Number(m[1]);
  const end = !m || m[1] === '' || m[2] === '' ? body.size - 1 : Math.min(Number(m[2]), body.size - 1);
  if (!m || (m[1] === '' && m[2] === '') || start > end || start >= body.size) {
    return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${body.size}` } });
  }
  headers.set('Content-Length', String(end - start + 1));
  headers.set('Content-Range', `bytes ${start}-${end}/${body.size}`);
  return new Response(request.method === 'HEAD' ? null : body.slice(start, end + 1), { status: 206, headers });
}

/** The same response with the isolation and security headers (opaque redirects cannot be rebuilt and need none). */
function isolated(res) {
  if (res.status === 0 || res.type === 'opaqueredirect') return res;
  const headers = new Headers(res.headers);
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  for (const [name, value] of Object.entries(BUILD.headers ?? {})) if (!headers.has(name)) headers.set(name, value);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}
