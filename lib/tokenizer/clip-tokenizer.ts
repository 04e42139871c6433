/**
 * CLIP text tokenizer for Stable Diffusion, on @huggingface/tokenizers. Produces what SD
 * pipelines feed the text encoder:
 *   tokenizer(prompt, padding="max_length", max_length=77, truncation=True)
 * i.e. BOS + up to maxLength-2 prompt tokens + EOS, padded with the pad token.
 * I/O-free: the caller passes file contents.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { buildClipTokenizerJson, CLIP_BOS_TOKEN, CLIP_EOS_TOKEN } from './clip-bpe-json';

export interface TokenizerFiles {
  tokenizerJson?: unknown;
  vocabJson?: Record<string, number>;
  mergesTxt?: string;
  tokenizerConfig?: Record<string, unknown>;
  specialTokensMap?: Record<string, unknown>;
}

export interface TokenizedPrompt {
  /** Exactly maxLength ids. */
  ids: number[];
  /** Tokens of the prompt itself (no BOS/EOS), counted before truncation. */
  tokenCount: number;
  truncated: boolean;
}

/**
 * How the prompt is cleaned before the tokenizer's own normalizer (NFC, whitespace
 * collapse, lowercase) runs:
 * - 'clip' (default): the cheap, deterministic part of what openai CLIP and diffusers'
 *   slow CLIPTokenizer (with ftfy installed) do — HTML-entity unescaping and ftfy's
 *   ligature / full-width / curly-quote / control-character fixes — so prompts get the
 *   same ids as in the Python reference. ftfy's mojibake repair is not reproduced.
 * - 'none': exactly what tokenizer.json (CLIPTokenizerFast) does.
 */
export type TextCleanup = 'clip' | 'none';

export interface ClipTokenizerOptions {
  /** Overrides model_max_length from tokenizer_config.json (default 77). */
  maxLength?: number;
  textCleanup?: TextCleanup;
}

const DEFAULT_MAX_LENGTH = 77;

export class ClipTokenizer {
  readonly maxLength: number;
  readonly padTokenId: number;
  /** The pad token's text ("!" for SD 2.x's OpenCLIP, <|endoftext|> for SD 1.x). */
  readonly padToken: string;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly textCleanup: TextCleanup;
  private readonly tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer, ids: { bos: number; eos: number; pad: number; padToken: string }, maxLength: number, textCleanup: TextCleanup) {
    this.tokenizer = tokenizer;
    this.bosTokenId = ids.bos;
    this.eosTokenId = ids.eos;
    this.padTokenId = ids.pad;
    this.padToken = ids.padToken;
    this.maxLength = maxLength;
    this.textCleanup = textCleanup;
  }

  static fromFiles(files: TokenizerFiles, opts: ClipTokenizerOptions = {}): ClipTokenizer {
    if (files === null || typeof files !== 'object') throw new TypeError('tokenizer: files must be an object');
    const config = optionalObject(files.tokenizerConfig, 'tokenizer_config.json');
    const specialMap = optionalObject(files.specialTokensMap, 'special_tokens_map.json');

    // special_tokens_map.json wins over tokenizer_config.json, as in transformers' loader.
    const special = (key: string, fallback: string): string =>
      tokenContent(specialMap?.[key], `special_tokens_map.json ${key}`) ?? tokenContent(config?.[key], `tokenizer_config.json ${key}`) ?? fallback;
    const bosToken = special('bos_token', CLIP_BOS_TOKEN);
    const eosToken = special('eos_token', CLIP_EOS_TOKEN);
    // CLIPTokenizer's own default pad token is <|endoftext|>; SD 2.x configs say "!".
    const padToken = special('pad_token', eosToken);
    const unkToken = special('unk_token', CLIP_EOS_TOKEN);

    let tokenizerJson: unknown;
    if (files.tokenizerJson !== undefined && files.tokenizerJson !== null) {
      tokenizerJson = parseTokenizerJson(files.tokenizerJson);
    } else if (files.vocabJson !== undefined && files.mergesTxt !== undefined) {
      tokenizerJson = buildClipTokenizerJson(files.vocabJson, files.mergesTxt, {
        bosToken,
        eosToken,
        unkToken,
      });
    } else if (files.vocabJson !== undefined) {
      throw new Error('tokenizer: vocab.json given without merges.txt');
    } else if (files.mergesTxt !== undefined) {
      throw new Error('tokenizer: merges.txt given without vocab.json');
    } else {
      throw new Error('tokenizer: neither tokenizer.json nor vocab.json + merges.txt given');
    }

    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson as object, config ?? {});
    } catch (err) {
      throw new Error(`tokenizer: cannot build tokenizer: ${(err as Error).message}`, { cause: err });
    }

    const idOf = (token: string, role: string): number => {
      const id = tokenizer.token_to_id(token);
      if (id === undefined) throw new Error(`tokenizer: ${role} ${JSON.stringify(token)} is not in the vocabulary`);
      return id;
    };
    const ids = {
      bos: idOf(bosToken, 'bos_token'),
      eos: idOf(eosToken, 'eos_token'),
      pad: idOf(padToken, 'pad_token'),
      padToken,
    };

    const maxLength = resolveMaxLength(opts.maxLength, config?.model_max_length);
    const cleanup = opts.textCleanup ?? 'clip';
    if (cleanup !== 'clip' && cleanup !== 'none') {
      throw new Error(`tokenizer: textCleanup must be 'clip' or 'none', got ${JSON.stringify(cleanup)}`);
    }
    return new ClipTokenizer(tokenizer, ids, maxLength, cleanup);
  }

  /** Prompt token ids without BOS/EOS and without truncation. */
  tokenIds(text: string): number[] {
    if (typeof text !== 'string') throw new TypeError('tokenizer: prompt must be a string');
    const cleaned = this.textCleanup === 'clip' ? cleanClipText(text) : text;
    const { ids } = this.tokenizer.encode(cleaned, { add_special_tokens: false });
    for (const id of ids) {
      // The library maps tokens missing from the vocab to unk_token's id, undefined if none.
      if (!Number.isInteger(id)) throw new Error('tokenizer: a token has no id and the model has no unk_token');
    }
    return ids;
  }

  encode(text: string): TokenizedPrompt {
    const body = this.tokenIds(text);
    const room = this.maxLength - 2;
    const truncated = body.length > room;
    const ids = new Array<number>(this.maxLength).fill(this.padTokenId);
    ids[0] = this.bosTokenId;
    const n = Math.min(body.length, room);
    for (let i = 0; i < n; i++) ids[i + 1] = body[i];
    // EOS closes the sequence even when truncated, as HF's truncation keeps special tokens.
    ids[n + 1] = this.eosTokenId;
    return { ids, tokenCount: body.length, truncated };
  }

  countTokens(text: string): number {
    return this.tokenIds(text).length;
  }
}

function optionalObject(v: unknown, name: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`tokenizer: ${name} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** A special-token entry is either a string or an AddedToken object with `content`. */
function tokenContent(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  throw new Error(`tokenizer: ${where} is neither a string nor an object with "content"`);
}

function parseTokenizerJson(v: unknown): object {
  let obj = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch (err) {
      throw new Error(`tokenizer: tokenizer.json is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new TypeError('tokenizer: tokenizer.json must be a JSON object');
  }
  const model = (obj as { model?: unknown }).model;
  if (model === null || typeof model !== 'object') throw new Error('tokenizer: tokenizer.json has no "model"');
  if (!Array.isArray((obj as { added_tokens?: unknown }).added_tokens)) {
    throw new Error('tokenizer: tokenizer.json has no "added_tokens" array');
  }
  return obj;
}

function resolveMaxLength(explicit: number | undefined, fromConfig: unknown): number {
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 2) {
      throw new RangeError(`tokenizer: maxLength must be an integer >= 2, got ${explicit}`);
    }
    return explicit;
  }
  // transformers writes 1e30 when a model sets no limit; CLIP's position table is 77.
  if (typeof fromConfig === 'number' && Number.isSafeInteger(fromConfig) && fromConfig >= 2 && fromConfig <= 1 << 20) {
    return fromConfig;
  }
  return DEFAULT_MAX_LENGTH;
}

// ---------------------------------------------------------------------------------------
// Text cleanup ('clip'): openai CLIP's basic_clean = ftfy.fix_text, html.unescape twice.

/** ftfy's fix_latin_ligatures table. */
const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE_RE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');
// ftfy's fix_character_width: U+FF01..U+FFEF to their NFKC form, ideographic space to ' '.
const WIDE_RE = /[\uFF01-\uFFEF\u3000]/g;
// ftfy's remove_control_chars set (C0 except \t\n\f\r, DEL, deprecated format chars,
// BOM, interlinear annotation) and remove_terminal_escapes.
const CONTROL_RE = /[\x00-\x08\x0B\x0E-\x1F\x7F\u206A-\u206F\uFEFF\uFFF9-\uFFFC]/g;
const TERMINAL_ESCAPE_RE = /\x1B\[[\d;]*[A-Za-z]/g;
const SINGLE_QUOTE_RE = /[\u02BC\u2018-\u201B]/g;
const DOUBLE_QUOTE_RE = /[\u201C-\u201F]/g;
// ftfy's fix_line_breaks; matters for U+0085, which is whitespace to Python but not to JS.
const LINE_BREAK_RE = /\r\n|[\r\u2028\u2029\u0085]/g;

export function cleanClipText(text: string): string {
  let t = text;
  // ftfy unescapes entities (to a fixed point) unless the text looks like HTML ('<');
  // CLIP then runs html.unescape twice regardless.
  if (t.includes('<')) {
    t = unescapeHtml(unescapeHtml(t));
  } else {
    for (let i = 0; i < 8; i++) {
      const next = unescapeHtml(t);
      if (next === t) break;
      t = next;
    }
  }
  t = t.replace(TERMINAL_ESCAPE_RE, '');
  t = t.replace(LIGATURE_RE, (c) => LIGATURES[c]);
  t = t.replace(WIDE_RE, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
  t = t.replace(SINGLE_QUOTE_RE, "'").replace(DOUBLE_QUOTE_RE, '"');
  t = t.replace(LINE_BREAK_RE, '\n');
  t = t.replace(CONTROL_RE, '');
  return t;
}

/**
 * Python's html.unescape for numeric references and a table of common named entities
 * (all of HTML's Latin-1 set, which may omit the ';', plus frequent typographic ones).
 */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g, (whole, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const digits = ref.slice(hex ? 2 : 1).replace(/;$/, '');
      return charRef(parseInt(digits, hex ? 16 : 10));
    }
    const direct = NAMED_ENTITIES.get(ref);
    if (direct !== undefined) return direct;
    // Longest legacy (semicolon-less) name that prefixes the reference, as Python does.
    for (let len = ref.length - 1; len > 1; len--) {
      const hit = NAMED_ENTITIES.get(ref.slice(0, len));
      if (hit !== undefined) return hit + ref.slice(len);
    }
    return whole;
  });
}

// Windows-1252 meanings Python gives to the C1 range in numeric references.
const CP1252: Record<number, number> = {
  0x80: 0x20ac,
  0x82: 0x201a,
  0x83: 0x0192,
  0x84: 0x201e,
  0x85: 0x2026,
  0x86: 0x2020,
  0x87: 0x2021,
  0x88: 0x02c6,
  0x89: 0x2030,
  0x8a: 0x0160,
  0x8b: 0x2039,
  0x8c: 0x0152,
  0x8e: 0x017d,
  0x91: 0x2018,
  0x92: 0x2019,
  0x93: 0x201c,
  0x94: 0x201d,
  0x95: 0x2022,
  0x96: 0x2013,
  0x97: 0x2014,
  0x98: 0x02dc,
  0x99: 0x2122,
  0x9a: 0x0161,
  0x9b: 0x203a,
  0x9c: 0x0153,
  0x9e: 0x017e,
  0x9f: 0x0178,
};

function charRef(num: number): string {
  if (num === 0) return '\uFFFD';
  if (num === 0x0d) return '\r';
  if (num >= 0x80 && num <= 0x9f) return String.fromCodePoint(CP1252[num] ?? num);
  if ((num >= 0xd800 && num <= 0xdfff) || num > 0x10ffff || !Number.isFinite(num)) return '\uFFFD';
  // Python drops these "invalid codepoints".
  if (
    (num >= 0x1 && num <= 0x8) ||
    num === 0xb ||
    (num >= 0xe && num <= 0x1f) ||
    num === 0x7f ||
    (num >= 0xfdd0 && num <= 0xfdef) ||
    (num & 0xfffe) === 0xfffe
  ) {
    return '';
  }
  return String.fromCodePoint(num);
}

const LATIN1_NAMES = [
  'nbsp',
  'iexcl',
  'cent',
  'pound',
  'curren',
  'yen',
  'brvbar',
  'sect',
  'uml',
  'copy',
  'ordf',
  'laquo',
  'not',
  'shy',
  'reg',
  'macr',
  'deg',
  'plusmn',
  'sup2',
  'sup3',
  'acute',
  'micro',
  'para',
  'middot',
  'cedil',
  'sup1',
  'ordm',
  'raquo',
  'frac14',
  'frac12',
  'frac34',
  'iquest',
  'Agrave',
  'Aacute',
  'Acirc',
  'Atilde',
  'Auml',
  'Aring',
  'AElig',
  'Ccedil',
  'Egrave',
  'Eacute',
  'Ecirc',
  'Euml',
  'Igrave',
  'Iacute',
  'Icirc',
  'Iuml',
  'ETH',
  'Ntilde',
  'Ograve',
  'Oacute',
  'Ocirc',
  'Otilde',
  'Ouml',
  'times',
  'Oslash',
  'Ugrave',
  'Uacute',
  'Ucirc',
  'Uuml',
  'Yacute',
  'THORN',
  'szlig',
  'agrave',
  'aacute',
  'acirc',
  'atilde',
  'auml',
  'aring',
  'aelig',
  'ccedil',
  'egrave',
  'eacute',
  'ecirc',
  'euml',
  'igrave',
  'iacute',
  'icirc',
  'iuml',
  'eth',
  'ntilde',
  'ograve',
  'oacute',
  'ocirc',
  'otilde',
  'ouml',
  'divide',
  'oslash',
  'ugrave',
  'uacute',
  'ucirc',
  'uuml',
  'yacute',
  'thorn',
  'yuml',
];

const OTHER_ENTITIES: Record<string, string> = {
  apos: "'",
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  sbquo: '‚',
  ldquo: '“',
  rdquo: '”',
  bdquo: '„',
  lsaquo: '‹',
  rsaquo: '›',
  bull: '•',
  prime: '′',
  Prime: '″',
  dagger: '†',
  Dagger: '‡',
  permil: '‰',
  trade: '™',
  euro: '€',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
  harr: '↔',
  hearts: '♥',
  spades: '♠',
  clubs: '♣',
  diams: '♦',
  loz: '◊',
  minus: '−',
  le: '≤',
  ge: '≥',
  ne: '≠',
  asymp: '≈',
  infin: '∞',
  sum: '∑',
  int: '∫',
  radic: '√',
  pi: 'π',
  Pi: 'Π',
  OElig: 'Œ',
  oelig: 'œ',
  Scaron: 'Š',
  scaron: 'š',
  Yuml: 'Ÿ',
  fnof: 'ƒ',
  circ: 'ˆ',
  tilde: '˜',
  ensp: '\u2002',
  emsp: '\u2003',
  thinsp: '\u2009',
  zwnj: '\u200C',
  zwj: '\u200D',
  lrm: '\u200E',
  rlm: '\u200F',
};

/** Keys as Python's html5 table has them: "name;" always, bare "name" for legacy ones. */
const NAMED_ENTITIES: Map<string, string> = (() => {
  const m = new Map<string, string>();
  const legacy = (name: string, value: string) => {
    m.set(name, value);
    m.set(`${name};`, value);
  };
  LATIN1_NAMES.forEach((name, i) => legacy(name, String.fromCharCode(0xa0 + i)));
  for (const [name, value] of [
    ['amp', '&'],
    ['lt', '<'],
    ['gt', '>'],
    ['quot', '"'],
  ] as const) {
    legacy(name, value);
    legacy(name.toUpperCase(), value);
  }
  legacy('COPY', '©');
  legacy('REG', '®');
  for (const [name, value] of Object.entries(OTHER_ENTITIES)) m.set(`${name};`, value);
  return m;
})();
