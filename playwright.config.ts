import { defineConfig } from '@playwright/test';

// Debian's Chromium (apt-get install chromium); Playwright never downloads a browser here.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const quietFlags = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PORT = Number(process.env.E2E_PORT ?? 3100);

export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  // Service workers are blocked except in e2e/static-export.spec.ts: page.route never sees a request
  // a worker answers, and the shell cache would outlive a spec. This server sends COOP/COEP itself.
  use: { baseURL: `http://127.0.0.1:${PORT}`, acceptDownloads: true, trace: 'off', serviceWorkers: 'block' },
  webServer: {
    // Serves the static export in out/ (`npm run build`; the test script does that). connect-src
    // allows the tests' Hub emulator and its "CDN" (127.0.0.1, any port) instead of the real Hub;
    // worker-src allows blob: for e2e/opfs-cache.spec.ts's harness (it starts the bundled cache worker from a blob URL).
    command: `node scripts/serve-static.mjs --dir out --port ${PORT} --host 127.0.0.1 --hub 'http://127.0.0.1:*' --blob-workers`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
  projects: [
    // Every spec runs twice: on WebGPU (SwiftShader), and in a Chromium without WebGPU,
    // where asking for webgpu must fall back to wasm and say so.
    { name: 'webgpu', use: { launchOptions: { executablePath, args: [...quietFlags, '--enable-unsafe-webgpu'] } } },
    { name: 'no-webgpu', use: { launchOptions: { executablePath, args: [...quietFlags, '--disable-webgpu'] } } },
  ],
});
