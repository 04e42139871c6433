/** The browser's loading code (fetch + streaming progress) against a local HTTP server serving models/. */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchSource, ModelFolderError } from '@/lib/models/file-source';
import { loadModelFolder } from '@/lib/models/load-folder';
import { loadPipeline } from '@/lib/diffusion/load-pipeline';
import { generate } from '@/lib/diffusion/pipeline';
import { createNodeSessionFactory } from '@/lib/onnx/node';

let server: Server;
let base: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(path);
    if (path.startsWith('/broken/')) {
      res.writeHead(500).end('boom');
      return;
    }
    try {
      const body = await readFile(join(process.cwd(), normalize(path).replace(/^(\.\.[/\\])+/, '')));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('model folder over HTTP', () => {
  it('loads tiny-sd from a URL with streamed progress and generates', async () => {
    const folder = await loadModelFolder(fetchSource(`${base}/models/fixtures/tiny-sd`));
    const progress: Array<{ part: string; loaded: number; total: number | null }> = [];
    const models = await loadPipeline(folder, createNodeSessionFactory({ intraOpNumThreads: 1 }), (p) => progress.push(p));
    const unet = progress.filter((p) => p.part === 'unet');
    expect(unet.at(-1)?.loaded).toBe(unet.at(-1)?.total);
    const r = await generate(models, {
      prompt: 'a red circle',
      negativePrompt: '',
      seed: 1,
      steps: 2,
      guidanceScale: 7.5,
      guidanceRescale: 0,
      scheduler: 'euler',
      width: 64,
      height: 64,
    });
    expect(r.image.data.length).toBe(64 * 64 * 3);
    expect(requests).toContain('/models/fixtures/tiny-sd/unet/model.onnx');
  });

  it('loads external weights from a URL in Node (bytes, the runtime cannot fetch) and matches the folder-path run', async () => {
    const folder = 'models/fixtures/replicas/optimum-lcm-dreamshaper';
    const ref = JSON.parse(await readFile(`tests/fixtures/replicas/optimum-lcm-dreamshaper.txt2img-lcm4.json`, 'utf8'));
    const overHttp = await loadPipeline(await loadModelFolder(fetchSource(`${base}/${folder}/`)), createNodeSessionFactory({ intraOpNumThreads: 1 }));
    expect(requests).toContain(`/${folder}/unet/model.onnx_data`);
    const r = await generate(overHttp, ref.params);
    let worst = 0;
    r.image.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ref.image.data[i]))));
    expect(worst).toBeLessThanOrEqual(2e-3);
  });

  it('turns 404 into a missing-file error and 500 into fetch-failed', async () => {
    await expect(loadModelFolder(fetchSource(`${base}/models/fixtures/absent/`))).rejects.toThrow(/absent\/: not a model folder: no model_index\.json/);
    const err = await loadModelFolder(fetchSource(`${base}/broken/`)).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFolderError);
    expect(err.problem).toBe('fetch-failed');
    expect(err.message).toMatch(/HTTP 500/);
  });
});
