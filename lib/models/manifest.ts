/**
 * Typed, validated views of a model folder's JSON files (diffusers ONNX layout, DESIGN.md §2).
 * Every check names the file it read, so a broken folder says what to fix.
 */
import { ModelFolderError } from './file-source';

export const MODEL_PARTS = ['text_encoder', 'unet', 'vae_decoder', 'vae_encoder', 'controlnet'] as const;
export type ModelPart = (typeof MODEL_PARTS)[number];

export interface ModelIndex {
  className: string;
  /** Parts the index declares (value not null); diffusers' own index lists `vae`, which stands for vae_decoder + vae_encoder. */
  parts: ModelPart[];
  /** `_name_or_path` when the exporter kept it (e.g. "stabilityai/sd-turbo"). */
  nameOrPath?: string;
}

export interface LanternManifest {
  name?: string;
  description?: string;
  licence?: string;
  vaeScalingFactor?: number;
  /** Pixels per latent cell (8 for SD; Lantern's shapes VAE uses 4). */
  vaeDownsampleFactor?: number;
  recommended?: {
    steps?: number;
    guidance?: number;
    scheduler?: string;
    width?: number;
    height?: number;
    /** Steps for live mode (regenerate while drawing). */
    liveSteps?: number;
  };
  /** Prompts the model knows how to draw (a small model has a small vocabulary): shown as suggestions. */
  examplePrompts?: string[];
  files?: Record<string, { bytes: number; sha256: string }>;
}

function fail(file: string, message: string): never {
  throw new ModelFolderError('malformed-file', file, `${file}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Python's json writes ±inf/nan bare (e.g. DPM configs' `"lambda_min_clipped": -Infinity`),
 * which JSON.parse rejects; such values become null, which the schedulers read as "unbounded".
 */
const PYTHON_NON_FINITE = /(:\s*|\[\s*|,\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g;

export function parseJson(file: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes).replace(PYTHON_NON_FINITE, '$1null'));
  } catch (err) {
    fail(file, `not valid JSON (${(err as Error).message})`);
  }
}

export function parseModelIndex(file: string, json: unknown): ModelIndex {
  if (!isObject(json)) fail(file, 'expected a JSON object');
  const className = typeof json._class_name === 'string' ? json._class_name : 'unknown';
  const declared = (key: string) => json[key] !== undefined && json[key] !== null && !(Array.isArray(json[key]) && json[key].every((v) => v === null));
  const parts = MODEL_PARTS.filter((p) => declared(p) || (declared('vae') && (p === 'vae_decoder' || p === 'vae_encoder')));
  const nameOrPath = typeof json._name_or_path === 'string' ? json._name_or_path : undefined;
  return { className, parts, ...(nameOrPath !== undefined && { nameOrPath }) };
}

function num(file: string, json: Record<string, unknown>, key: string, fallback?: number): number {
  const v = json[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(file, `"${key}" must be a number (got ${JSON.stringify(json[key])})`);
  return v;
}

/** Scheduler configs are validated once, by the scheduler class they name (lib/diffusion/schedulers). */
export { parseSchedulerConfig } from '../diffusion/schedulers';

export function parseLanternManifest(file: string, json: unknown): LanternManifest {
  if (!isObject(json)) fail(file, 'expected a JSON object');
  if (json.vaeScalingFactor !== undefined) num(file, json, 'vaeScalingFactor');
  if (json.vaeDownsampleFactor !== undefined) {
    const f = num(file, json, 'vaeDownsampleFactor');
    if (!Number.isInteger(f) || f < 1) fail(file, `"vaeDownsampleFactor" must be a positive integer (got ${f})`);
  }
  if (json.recommended !== undefined && !isObject(json.recommended)) fail(file, '"recommended" must be an object');
  if (json.examplePrompts !== undefined && !(Array.isArray(json.examplePrompts) && json.examplePrompts.every((p) => typeof p === 'string'))) {
    fail(file, '"examplePrompts" must be an array of strings');
  }
  return json as LanternManifest;
}

/** The VAE scaling factor: lantern.json, then vae_decoder/config.json (diffusers), then SD 1.x's value. */
export const SD1_VAE_SCALING_FACTOR = 0.18215;
/** SD's VAE: 2^(len(block_out_channels) − 1) = 8. */
export const SD_VAE_DOWNSAMPLE = 8;
