import type { NextConfig } from 'next';

// Cross-origin isolation (COOP/COEP) unlocks SharedArrayBuffer, which onnxruntime-web's
// multi-threaded wasm needs. Every asset we load is same-origin, so `require-corp` costs nothing.
const isolationHeaders = [
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
];

const nextConfig: NextConfig = {
  reactStrictMode: true,
  async headers() {
    return [{ source: '/:path*', headers: isolationHeaders }];
  },
};

export default nextConfig;
