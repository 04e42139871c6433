/**
 * The two calls the studio makes: a result PNG with its settings embedded (A1111's `parameters`
 * text), and a dropped/opened PNG's settings read back. Both are plain bytes in, plain data out.
 */
import { writePngText } from './chunks';
import { formatInfotext, type InfotextInput } from './infotext';

export type { InfotextControl, InfotextInput } from './infotext';
export { readPngSettings, type PngSettingsResult, type RestoredSettings } from './restore';

/**
 * `png` (e.g. canvas.toBlob's bytes) with a `parameters` chunk for `input` (tEXt, or iTXt when the text
 * is not Latin-1), replacing any it had. Throws InvalidParamsError only for bytes that are not a PNG.
 */
export function writeResultPng(png: Uint8Array, input: InfotextInput): Uint8Array {
  return writePngText(png, [{ keyword: 'parameters', text: formatInfotext(input) }]);
}
