/**
 * Which replica (models/fixtures/replicas/, training/replicas/make_replicas.py) has the layout of
 * each catalogue entry, and how to lay it out as the entry's Hub repos, so a test can serve it
 * from the local Hub emulator (tests/helpers/hub-emulator.ts) under the entry's real repo ids.
 *
 * The replicas mirror the *assembled* model folder (what the loader reads). Where an entry takes
 * a file from another path or repo (`CatalogFile.from`), the file is placed at that path in that
 * repo: e.g. SD 1.5 + scribble puts the replica's `unet/model.onnx` (the residual-taking U-Net) at
 * `controlnet/model.onnx` of TensorStack/stable-diffusion-v1-5-onnx, as the real repo has it, and
 * the replica's `controlnet/model.onnx` at `SD/Scribble/model.onnx` of TensorStack/ControlNet-onnx.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { catalogEntry, entryVariants, fileOrigin, type ResolvedVariant } from '@/lib/models/catalog';
import type { EmulatedRepo } from './hub-emulator';

const REPLICAS = 'models/fixtures/replicas';

/** Entry id (and variant id, after a colon) → the folder whose layout it has. */
export const CATALOG_REPLICAS: Readonly<Record<string, string>> = {
  // optimum export, fp16 weights, fp32 I/O, one model.onnx per part, no external data.
  'sd-turbo': `${REPLICAS}/optimum-sd-turbo`,
  // OnnxStack layout; the replica's unet/ takes residuals (fed zeros without a ControlNet), its controlnet/ is not part of the entry.
  sd15: `${REPLICAS}/tensorstack-sd15-controlnet`,
  'sd15-scribble': `${REPLICAS}/tensorstack-sd15-controlnet`,
  // optimum ≤ 1.22 LCM: unet/model.onnx + model.onnx_data. The fp16 export also splits its VAE decoder
  // (vae_decoder/model.onnx_data), which the replica does not: that file is reported missing.
  'lcm-dreamshaper-v7': `${REPLICAS}/optimum-lcm-dreamshaper`,
  'lcm-dreamshaper-v7:fp32': `${REPLICAS}/optimum-lcm-dreamshaper`,
  // Served as it is (same origin), not from a Hub.
  'lantern-shapes': 'models/lantern-shapes',
};

export function replicaFolder(entryId: string, variantId = 'default'): string {
  const folder = CATALOG_REPLICAS[variantId === 'default' ? entryId : `${entryId}:${variantId}`] ?? CATALOG_REPLICAS[entryId];
  if (!folder) throw new Error(`no replica for catalogue entry ${entryId}`);
  return folder;
}

export interface ReplicaRepos {
  /** For startHubEmulator: one per Hub repo the variant reads, its revision as the commit (or branch). */
  repos: EmulatedRepo[];
  /** Entry files the replica does not have (not served). */
  missing: string[];
  variant: ResolvedVariant;
}

/**
 * Copies the replica's files into `dest/<owner>--<name>/` in the shape of each Hub repo the
 * entry reads, and returns the emulator's repo list.
 */
export async function materialiseReplicaRepos(entryId: string, dest: string, variantId = 'default'): Promise<ReplicaRepos> {
  const entry = catalogEntry(entryId);
  if (!entry) throw new Error(`no catalogue entry ${entryId}`);
  const variant = entryVariants(entry).find((v) => v.id === variantId);
  if (!variant) throw new Error(`${entryId} has no variant ${variantId}`);
  const replica = replicaFolder(entryId, variantId);
  const repos = new Map<string, EmulatedRepo>();
  const missing: string[] = [];
  for (const file of variant.files) {
    const from = fileOrigin(variant, file);
    const src = join(replica, file.path);
    if (!(await stat(src).catch(() => null))?.isFile()) {
      missing.push(file.path);
      continue;
    }
    const folder = join(dest, from.repo.replace('/', '--'));
    if (!repos.has(from.repo)) {
      const sha = /^[0-9a-f]{40}$/.test(from.revision);
      repos.set(from.repo, { id: from.repo, folder, ...(sha ? { commit: from.revision } : { branch: from.revision }) });
    }
    const target = join(folder, from.path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(src, target);
  }
  return { repos: [...repos.values()], missing, variant };
}
