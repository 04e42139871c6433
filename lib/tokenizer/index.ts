export { ClipTokenizer, cleanClipText, unescapeHtml } from './clip-tokenizer';
export type { ClipTokenizerOptions, TextCleanup, TokenizedPrompt, TokenizerFiles } from './clip-tokenizer';
export { buildClipTokenizerJson, parseMergesTxt, CLIP_BOS_TOKEN, CLIP_EOS_TOKEN, CLIP_SPLIT_REGEX } from './clip-bpe-json';
export type { AddedTokenJson, ClipBpeJsonOptions, ClipTokenizerJson } from './clip-bpe-json';
