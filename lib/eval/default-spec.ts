/** The repository's shapes spec (training/shapes/spec.json), parsed once. */
import specJson from '../../training/shapes/spec.json' with { type: 'json' };
import { parseSpec, type ShapesSpec } from './spec';

export const SHAPES_SPEC: ShapesSpec = parseSpec(specJson);
