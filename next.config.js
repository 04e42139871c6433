// Cross-origin isolation (COOP/COEP) unlocks SharedArrayBuffer, which onnxruntime-web's
// multi-threaded wasm needs. Every asset we load is same-origin, so `require-corp` costs nothing.
const isolationHeaders = [
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Embedder-Policy', value: 'require-corp' },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  async headers() {
    return [{ source: '/:path*', headers: isolationHeaders }];
  },
};

export default nextConfig;
