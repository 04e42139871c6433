// The studio's security headers, shared by scripts/serve-static.mjs (sends them), and
// scripts/write-service-worker.mjs (bakes them into out/sw.js for hosts that cannot send headers,
// and writes out/_headers for Netlify / Cloudflare Pages).
//
// A static export has no per-request nonce, so the inline <script> blocks Next writes into each
// page are allowed by their sha256 hashes. `connect-src` is the one directive a deployment tunes:
// the Hub endpoint and the CDN hosts its downloads redirect to (CSP checks every redirect target).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * huggingface.co and the hosts its resolve URLs redirect to: cdn-lfs(-us-1|-eu-1).huggingface.co,
 * cdn-lfs(-us-1|-eu-1).hf.co, cas-bridge.xethub.hf.co, us.aws.cdn.hf.co, … The list has changed
 * several times (Xet, regional CDNs), so the two domains are allowed with all their subdomains.
 */
export const HUB_ORIGINS = ['https://huggingface.co', 'https://*.huggingface.co', 'https://hf.co', 'https://*.hf.co'];

// scheme://host[:port], host may start with `*.`, port may be `*` (CSP host-source, no path).
const SOURCE = /^(https?|wss?):\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d{1,5}|\*))?$/i;

/**
 * Hub origins from `--hub` / LANTERN_HUB_ORIGINS: comma- or space-separated CSP sources
 * (`https://mirror.example`, `http://127.0.0.1:*`). Paths and trailing slashes are dropped (the
 * Hub endpoint may be given as a URL); empty or missing → HUB_ORIGINS; anything else throws.
 */
export function parseHubOrigins(value) {
  const list = (value ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => s.replace(/^([a-z]+:\/\/[^/]+)\/.*$/i, '$1'));
  if (list.length === 0) return [...HUB_ORIGINS];
  const bad = list.find((s) => !SOURCE.test(s));
  if (bad) throw new Error(`not a CSP origin: ${JSON.stringify(bad)} (want scheme://host[:port], e.g. https://mirror.example or http://127.0.0.1:*)`);
  return list;
}

/** `'sha256-…'` of each inline <script> (one without src) in an HTML page, in order, without duplicates. */
export function inlineScriptHashes(html) {
  const hashes = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (/\ssrc\s*=/i.test(m[1])) continue;
    const hash = `'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`;
    if (!hashes.includes(hash)) hashes.push(hash);
  }
  return hashes;
}

/** Hashes of the inline scripts of every .html file under `dir` (an export: index.html, 404.html, …). */
export function exportScriptHashes(dir) {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.html'));
  const all = new Set();
  for (const e of files) for (const h of inlineScriptHashes(readFileSync(join(e.parentPath ?? e.path, e.name), 'utf8'))) all.add(h);
  return [...all].sort();
}

/**
 * The policy, one line. Why each source:
 *   script-src 'wasm-unsafe-eval'   onnxruntime-web compiles its wasm (no eval of JS is allowed)
 *   worker-src 'self'               the diffusion/cache workers and onnxruntime's pthreads are same-origin files
 *                                   (`workerSources`: the e2e server adds blob: for the OPFS harness, which starts the bundled cache worker from a blob URL)
 *   style-src 'unsafe-inline'       React writes style="" attributes (the export has no nonce to give them)
 *   img-src blob: data:             results and history thumbnails are blob:/data: URLs
 */
export function buildPolicy({ scriptHashes = [], hubOrigins = HUB_ORIGINS, workerSources = [] } = {}) {
  const directives = [
    ["default-src 'self'"],
    ["script-src 'self' 'wasm-unsafe-eval'", ...scriptHashes],
    ["worker-src 'self'", ...workerSources],
    ["connect-src 'self'", ...hubOrigins],
    ["img-src 'self' blob: data:"],
    ["style-src 'self' 'unsafe-inline'"],
    ["font-src 'self' data:"],
    ["object-src 'none'"],
    ["base-uri 'self'"],
    ["form-action 'self'"],
    ["frame-ancestors 'none'"],
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}

/** Every header a host should send with the studio (the isolation pair is separate: ISOLATION in the server and worker). */
export function securityHeaders(policy) {
  return {
    'Content-Security-Policy': policy,
    'X-Content-Type-Options': 'nosniff',
    // frame-ancestors for current browsers, X-Frame-Options for old ones.
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'strict-origin-when-cross-origin',
  };
}

/** The Netlify / Cloudflare Pages `_headers` file: every path gets the security and isolation headers. */
export function headersFile(headers) {
  return `/*\n${Object.entries(headers)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n')}\n`;
}
