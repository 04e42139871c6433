/**
 * Which ONNX graph in a part folder is the part. Public exports name them differently
 * (optimum and diffusers: `model.onnx`; WebNN-style folders: `model_layernorm.onnx`), and a
 * folder may hold several. The documented order (docs/model-folders.md):
 *   1. model.onnx  2. model_layernorm.onnx  3. any other *.onnx, by name
 * A source that can list (local folders) finds any name; plain HTTP probes 1 and 2.
 */
import { ModelFolderError, type FileSource } from '../file-source';
import type { ModelPart } from '../manifest';

export const GRAPH_NAME_ORDER = ['model.onnx', 'model_layernorm.onnx'] as const;

export interface PartGraph {
  part: ModelPart;
  /** Path inside the folder, e.g. "unet/model_layernorm.onnx". */
  path: string;
  /** Other graphs in the same folder that were not picked (reported as a warning). */
  others: string[];
}

function rank(name: string): number {
  const i = (GRAPH_NAME_ORDER as readonly string[]).indexOf(name);
  return i === -1 ? GRAPH_NAME_ORDER.length : i;
}

/** Orders graph file names by the documented preference. */
export function orderGraphNames(names: readonly string[]): string[] {
  return names.filter((n) => n.endsWith('.onnx')).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Finds the part's graph; null when the part folder is absent. A folder that exists but
 * holds no graph is an error naming it (listing sources only: HTTP cannot tell the two apart).
 */
export async function findPartGraph(source: FileSource, part: ModelPart): Promise<PartGraph | null> {
  if (source.list) {
    const names = await source.list(part);
    if (names === null) return null;
    const graphs = orderGraphNames(names);
    if (graphs.length === 0) {
      throw new ModelFolderError(
        'missing-file',
        `${part}/`,
        `${source.base}${part}/: holds no ONNX graph (found ${names.length === 0 ? 'nothing' : names.join(', ')}; looked for ${GRAPH_NAME_ORDER.join(', ')} or any *.onnx)`,
      );
    }
    return { part, path: `${part}/${graphs[0]}`, others: graphs.slice(1) };
  }
  for (const name of GRAPH_NAME_ORDER) {
    if ((await source.size(`${part}/${name}`)) !== null) return { part, path: `${part}/${name}`, others: [] };
  }
  return null;
}
