import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TokenizerFiles } from '../../../lib/tokenizer';

const dir = fileURLToPath(new URL('../../fixtures/tokenizer/', import.meta.url));
const read = (name: string): string => readFileSync(dir + name, 'utf8');

/**
 * Subset of the CLIP BPE built by tests/fixtures/tokenizer/make-clip-subset.mjs: exact
 * for the words of the reference cases and of the texts listed in that script.
 */
export const subsetVocab = JSON.parse(read('clip-subset/vocab.json')) as Record<string, number>;
export const subsetMerges = read('clip-subset/merges.txt');
/** The same subset laid out like the Hub's clip-vit-large-patch14 tokenizer.json. */
export const hubStyleTokenizerJson = JSON.parse(read('clip-subset/tokenizer.json')) as Record<string, unknown>;

export interface ClipCase {
  prompt: string;
  input_ids: number[];
  fast_input_ids: number[];
  num_tokens: number;
  truncated: boolean;
  changed_by_ftfy_or_html_unescape: boolean;
}
export const clipCases = (JSON.parse(read('clip-cases.json')) as { cases: ClipCase[] }).cases;

/** SD 1.x tokenizer folder: tokenizer_config.json + special_tokens_map.json as on the Hub. */
export const sd1Config = {
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  tokenizer_class: 'CLIPTokenizer',
  model_max_length: 77,
  do_lower_case: true,
  errors: 'replace',
  add_prefix_space: false,
};

export function vocabFiles(extra: Partial<TokenizerFiles> = {}): TokenizerFiles {
  return { vocabJson: subsetVocab, mergesTxt: subsetMerges, tokenizerConfig: sd1Config, ...extra };
}
