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
  use: { baseURL: `http://127.0.0.1:${PORT}`, acceptDownloads: true, trace: 'off' },
  webServer: {
    // The app must be built first (`npm run build`); the test script does that.
    command: `npx next start -p ${PORT} -H 127.0.0.1`,
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
