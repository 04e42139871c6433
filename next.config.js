import { PHASE_DEVELOPMENT_SERVER } from 'next/constants.js';

// Cross-origin isolation (COOP/COEP) unlocks SharedArrayBuffer, which onnxruntime-web's
// multi-threaded wasm needs. Every asset we load is same-origin, so `require-corp` costs nothing.
const isolationHeaders = [
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
];

/**
 * `next build` writes a static export to out/ that any static host serves. An export cannot carry
 * headers, so there the isolation headers come from the host (scripts/serve-static.mjs) or from
 * the service worker (public/sw.js); `next dev` still sets them itself.
 * @param {string} phase
 * @returns {import('next').NextConfig}
 */
export default function nextConfig(phase) {
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    return { reactStrictMode: true, headers: async () => [{ source: '/:path*', headers: isolationHeaders }] };
  }
  return { reactStrictMode: true, output: 'export' };
}
