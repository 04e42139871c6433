/**
 * Builds a tokenizer.json object equivalent to what Hugging Face's CLIPTokenizerFast
 * (transformers' CLIPConverter) produces from a CLIP `vocab.json` + `merges.txt`, so
 * SD checkpoints that ship only the slow-tokenizer files run on @huggingface/tokenizers.
 */

export const CLIP_BOS_TOKEN = '<|startoftext|>';
export const CLIP_EOS_TOKEN = '<|endoftext|>';

/**
 * CLIP's pre-tokenisation regex (openai SimpleTokenizer / HF converter). The special
 * tokens lead the alternation as in the Hub's tokenizer.json; added tokens are split out
 * before this runs anyway, so it only matters for exactness of the config.
 */
export const CLIP_SPLIT_REGEX = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The subset of the tokenizer.json schema this module writes. */
export interface ClipTokenizerJson {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: string;
    continuing_subword_prefix: string;
    end_of_word_suffix: string;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: [string, string][];
  };
}

export interface ClipBpeJsonOptions {
  bosToken?: string;
  eosToken?: string;
  /** CLIP uses <|endoftext|> as unk. */
  unkToken?: string;
}

/**
 * Parses merges.txt: an optional `#version` header, then one "left right" pair a line,
 * in rank order. Blank lines (e.g. the trailing newline) are skipped.
 */
export function parseMergesTxt(text: string): [string, string][] {
  if (typeof text !== 'string') throw new TypeError('tokenizer: merges.txt contents must be a string');
  const lines = text.split(/\r?\n/);
  const merges: [string, string][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new Error(`tokenizer: merges.txt line ${i + 1} is not "left right": ${JSON.stringify(line)}`);
    }
    merges.push([parts[0], parts[1]]);
  }
  if (merges.length === 0) throw new Error('tokenizer: merges.txt has no merges');
  return merges;
}

function validateVocab(vocab: unknown): Record<string, number> {
  if (vocab === null || typeof vocab !== 'object' || Array.isArray(vocab)) {
    throw new TypeError('tokenizer: vocab.json must be an object mapping token -> id');
  }
  const entries = Object.entries(vocab as Record<string, unknown>);
  if (entries.length === 0) throw new Error('tokenizer: vocab.json is empty');
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new Error(`tokenizer: vocab.json id of ${JSON.stringify(token)} is not a non-negative integer`);
    }
  }
  return vocab as Record<string, number>;
}

export function buildClipTokenizerJson(vocabJson: Record<string, number>, mergesTxt: string, opts: ClipBpeJsonOptions = {}): ClipTokenizerJson {
  const vocab = validateVocab(vocabJson);
  const merges = parseMergesTxt(mergesTxt);
  const bos = opts.bosToken ?? CLIP_BOS_TOKEN;
  const eos = opts.eosToken ?? CLIP_EOS_TOKEN;
  const unk = opts.unkToken ?? CLIP_EOS_TOKEN;

  const idOf = (token: string, role: string): number => {
    const id = Object.prototype.hasOwnProperty.call(vocab, token) ? vocab[token] : undefined;
    if (id === undefined) throw new Error(`tokenizer: ${role} ${JSON.stringify(token)} is not in vocab.json`);
    return id;
  };
  const bosId = idOf(bos, 'bos_token');
  const eosId = idOf(eos, 'eos_token');
  idOf(unk, 'unk_token');

  // normalized: true as in the Hub file, so "<|ENDOFTEXT|>" is recognised after lowercasing
  // the way the slow tokenizer (which lowercases first) recognises it.
  const added = (id: number, content: string): AddedTokenJson => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  const addedTokens = [added(bosId, bos)];
  if (eos !== bos) addedTokens.push(added(eosId, eos));
  addedTokens.sort((a, b) => a.id - b.id);

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: CLIP_SPLIT_REGEX }, behavior: 'Removed', invert: true },
        // use_regex as the converter writes it (ByteLevel's default); a second regex pass
        // over CLIP's pieces cannot split them further, so ids do not depend on it.
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: [eos, eosId],
      cls: [bos, bosId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unk,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
