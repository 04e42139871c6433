/** The model catalogue: its validator, and that every entry's files form a folder the loader accepts. */
import { statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, CatalogError, downloadBytes, entryVariants, fileOrigin, partOf, validateCatalog, validateCatalogEntry, type CatalogEntry } from '@/lib/models/catalog';
import type { FileSource } from '@/lib/models/file-source';
import { findPartGraph } from '@/lib/models/layouts/graphs';
import { loadModelFolder, REQUIRED_PARTS } from '@/lib/models/load-folder';
import { MODEL_PARTS } from '@/lib/models/manifest';
import { dirSource } from '../../helpers/dir-source';
import { materialiseReplicaRepos, replicaFolder } from '../../helpers/catalog-replicas';

const clone = (e: CatalogEntry): Record<string, unknown> => JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
const turbo = () => clone(CATALOG.find((e) => e.id === 'sd-turbo')!);

function rejects(value: unknown, field: string): void {
  let err: unknown;
  try {
    validateCatalogEntry(value);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CatalogError);
  expect((err as CatalogError).field).toBe(field);
  expect((err as CatalogError).message).toContain(field);
  expect((err as CatalogError).code).toBe('model-malformed');
}

/** A listing-only source over an entry's file names: what findPartGraph sees from the Hub tree API. */
function listingSource(paths: readonly string[]): FileSource {
  return {
    base: 'catalogue:',
    readBytes: async () => null,
    size: async (p) => (paths.includes(p) ? 1 : null),
    list: async (dir) => {
      const names = paths.filter((p) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes('/')).map((p) => p.slice(dir.length + 1));
      return names.length === 0 ? null : names;
    },
  };
}

describe('the catalogue', () => {
  it('passes its own validator, with unique ids', () => {
    expect(validateCatalog(CATALOG.map(clone)).map((e) => e.id)).toEqual(['sd-turbo', 'sd15', 'sd15-scribble', 'lcm-dreamshaper-v7', 'lantern-shapes']);
  });

  it('pins Hub entries to a commit where the commit id was readable, and cites a source for every approximate size', () => {
    for (const entry of CATALOG) {
      for (const v of entryVariants(entry)) {
        if (v.source.kind === 'hub' && v.source.revision !== 'main') expect(v.source.revision).toMatch(/^[0-9a-f]{40}$/);
        for (const f of v.files) expect(f.size).toBeGreaterThan(0);
      }
      expect(entry.sources.length).toBeGreaterThan(0);
    }
    // The one entry on a branch says why.
    const lcm = CATALOG.find((e) => e.id === 'lcm-dreamshaper-v7')!;
    expect(lcm.source).toMatchObject({ kind: 'hub', revision: 'main' });
    expect(lcm.sources[0].what).toMatch(/full id not read/);
  });

  it('has the download totals the Hub pages add up to', () => {
    const total = (id: string, variant = 'default') => downloadBytes(entryVariants(CATALOG.find((e) => e.id === id)!).find((v) => v.id === variant)!.files);
    // sd-turbo: 681 MB + 1.73 GB + 99.1 MB + 68.4 MB + configs and tokenizer (1.06 MB + 525 kB + 6.8 kB).
    expect(total('sd-turbo')).toBe(681e6 + 1.73e9 + 99.1e6 + 68.4e6 + 1.06e6 + 525e3 + 608 + 583 + 703 + 574 + 855 + 1950 + 740 + 740);
    // SD 1.5 + scribble = SD 1.5 + the ControlNet + the residual U-Net's config.
    expect(total('sd15-scribble') - total('sd15')).toBe(736e6 + 779);
    expect(total('lcm-dreamshaper-v7', 'fp32')).toBeGreaterThan(total('lcm-dreamshaper-v7') * 2);
  });

  it('lists lantern-shapes with the bytes on disk', () => {
    const shapes = CATALOG.find((e) => e.id === 'lantern-shapes')!;
    for (const f of shapes.files) expect(statSync(join('models/lantern-shapes', f.path)).size, f.path).toBe(f.size);
  });
});

describe('validateCatalogEntry rejects a malformed entry, naming the field', () => {
  it('a missing name', () => {
    const e = turbo();
    delete e.name;
    rejects(e, 'entry.name');
  });
  it('a size that is not a positive integer', () => {
    const e = turbo();
    (e.files as { size: unknown }[])[3].size = -5;
    rejects(e, 'entry.files[3].size');
  });
  it('a path that escapes the folder', () => {
    const e = turbo();
    (e.files as { path: string }[])[0].path = '../etc/passwd';
    rejects(e, 'entry.files[0].path');
  });
  it('an unknown family', () => {
    rejects({ ...turbo(), family: 'sdxl' }, 'entry.family');
  });
  it('a Hub source without a repo', () => {
    rejects({ ...turbo(), source: { kind: 'hub', revision: 'main', subfolder: '' } }, 'entry.source.repo');
  });
  it('an unknown dtype', () => {
    rejects({ ...turbo(), dtype: { weights: 'int8', io: 'fp32' } }, 'entry.dtype.weights');
  });
  it('a step range with the default outside it', () => {
    const e = turbo();
    (e.capabilities as { steps: unknown }).steps = { min: 1, max: 4, default: 8 };
    rejects(e, 'entry.capabilities.steps');
  });
  it('a file listed twice', () => {
    const e = turbo();
    const files = e.files as unknown[];
    files.push({ ...(files[0] as object) });
    rejects(e, `entry.files[${files.length - 1}].path`);
  });
  it('files without a U-Net graph', () => {
    const e = turbo();
    e.files = (e.files as { path: string }[]).filter((f) => !f.path.startsWith('unet/'));
    rejects(e, 'entry.files');
  });
  it('a ControlNet capability without a controlnet graph', () => {
    const e = turbo();
    (e.capabilities as { controlnet: unknown }).controlnet = 'scribble';
    rejects(e, 'entry.files');
  });
  it('a variant that reuses an id', () => {
    const e = clone(CATALOG.find((x) => x.id === 'lcm-dreamshaper-v7')!);
    (e.variants as { id: string }[])[0].id = 'default';
    rejects(e, 'entry.variants[0].id');
  });
  it('a duplicate id across the catalogue', () => {
    const err = (() => {
      try {
        validateCatalog([turbo(), turbo()]);
      } catch (e) {
        return e as CatalogError;
      }
    })();
    expect(err?.field).toBe('catalogue[1].id');
  });
});

describe('every entry is a folder the loader accepts', () => {
  for (const entry of CATALOG) {
    for (const variant of entryVariants(entry)) {
      const label = `${entry.id}:${variant.id}`;
      it(`${label}: required parts have a graph where findPartGraph looks, external data beside it`, async () => {
        const paths = variant.files.map((f) => f.path);
        const source = listingSource(paths);
        for (const part of REQUIRED_PARTS) expect((await findPartGraph(source, part))?.path, `${label} ${part}`).toMatch(new RegExp(`^${part}/[^/]+\\.onnx$`));
        for (const part of MODEL_PARTS) {
          const graph = await findPartGraph(source, part);
          // one graph per part: the pick is never ambiguous
          if (graph) expect(graph.others, `${label} ${part}`).toEqual([]);
        }
        // external data files (model.onnx_data, model.onnx.data, weights.pb) sit beside a graph
        for (const p of paths.filter((x) => /(_data|\.data|weights\.pb)$/.test(x))) {
          const part = partOf(p);
          expect(part, p).not.toBeNull();
          expect(paths.some((x) => x.startsWith(`${part}/`) && x.endsWith('.onnx'))).toBe(true);
        }
        expect(paths.includes('tokenizer/tokenizer.json') || (paths.includes('tokenizer/vocab.json') && paths.includes('tokenizer/merges.txt'))).toBe(true);
      });

      it(`${label}: its replica, laid out as the entry's repos, loads with the same graphs`, async () => {
        const dest = await mkdtemp(join(tmpdir(), 'lantern-catalog-'));
        try {
          if (variant.source.kind === 'url') {
            const folder = await loadModelFolder(dirSource(replicaFolder(entry.id)));
            expect(Object.keys(folder.graphs).sort()).toEqual([...new Set(variant.files.map((f) => partOf(f.path)).filter((p) => p !== null))].sort());
            return;
          }
          const { repos, missing } = await materialiseReplicaRepos(entry.id, dest, variant.id);
          // Only the LCM fp16 export's split VAE decoder has no counterpart in its replica.
          expect(missing).toEqual(entry.id === 'lcm-dreamshaper-v7' && variant.id === 'default' ? ['vae_decoder/model.onnx_data'] : []);
          // Assemble the folder the loader will read: each file from its repo and path.
          const overrides: Record<string, Uint8Array> = {};
          for (const f of variant.files) {
            if (missing.includes(f.path)) continue;
            const from = fileOrigin(variant, f);
            overrides[f.path] = new Uint8Array(await readFile(join(repos.find((r) => r.id === from.repo)!.folder, from.path)));
          }
          const empty = join(dest, 'assembled');
          await mkdir(empty);
          const folder = await loadModelFolder(dirSource(empty, overrides));
          const expectedParts = [...new Set(variant.files.map((f) => partOf(f.path)).filter((p) => p !== null))].sort();
          expect(Object.keys(folder.graphs).sort()).toEqual(expectedParts);
          for (const part of expectedParts) expect(folder.graphs[part]?.path).toBe(`${part}/model.onnx`);
        } finally {
          await rm(dest, { recursive: true, force: true });
        }
      });
    }
  }
});
