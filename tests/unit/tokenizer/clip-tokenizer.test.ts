import { describe, expect, it } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { ClipTokenizer, buildClipTokenizerJson } from '../../../lib/tokenizer';
import { clipCases, hubStyleTokenizerJson, sd1Config, subsetMerges, subsetVocab, vocabFiles } from './helpers';

const BOS = 49406;
const EOS = 49407;
const label = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);

describe('ClipTokenizer vs reference ids (SD 1.x, vocab.json + merges.txt)', () => {
  const tok = ClipTokenizer.fromFiles(vocabFiles());

  it('reads ids and length from the files', () => {
    expect(tok.maxLength).toBe(77);
    expect(tok.bosTokenId).toBe(BOS);
    expect(tok.eosTokenId).toBe(EOS);
    expect(tok.padTokenId).toBe(EOS);
    expect(tok.textCleanup).toBe('clip');
  });

  for (const c of clipCases) {
    it(`${label(c.prompt)}${c.changed_by_ftfy_or_html_unescape ? ' (ftfy-changed)' : ''}`, () => {
      const out = tok.encode(c.prompt);
      expect(out.ids).toEqual(c.input_ids);
      expect(out.tokenCount).toBe(c.num_tokens);
      expect(out.truncated).toBe(c.truncated);
      expect(tok.countTokens(c.prompt)).toBe(c.num_tokens);
    });
  }
});

describe("textCleanup 'none' = plain tokenizer.json (CLIPTokenizerFast) behaviour", () => {
  const tok = ClipTokenizer.fromFiles(vocabFiles(), { textCleanup: 'none' });
  for (const c of clipCases) {
    it(`${label(c.prompt)}`, () => {
      const out = tok.encode(c.prompt);
      expect(out.ids).toEqual(c.fast_input_ids);
      // The deliberate difference: only the ftfy-flagged cases change.
      if (c.changed_by_ftfy_or_html_unescape) expect(out.ids).not.toEqual(c.input_ids);
      else expect(out.ids).toEqual(c.input_ids);
    });
  }
});

describe('tokenizer.json path', () => {
  const fromVocab = ClipTokenizer.fromFiles(vocabFiles());
  const fromHubJson = ClipTokenizer.fromFiles({ tokenizerJson: hubStyleTokenizerJson, tokenizerConfig: sd1Config });
  const built = buildClipTokenizerJson(subsetVocab, subsetMerges);
  const fromBuiltJson = ClipTokenizer.fromFiles({ tokenizerJson: JSON.stringify(built), tokenizerConfig: sd1Config });
  const texts = [...clipCases.map((c) => c.prompt), 'a <|endoftext|> cat <|STARTOFTEXT|>', 'a photo of an astronaut riding a horse on mars'];

  it('a Hub-style tokenizer.json gives the same ids as vocab.json + merges.txt', () => {
    for (const t of texts) expect(fromHubJson.encode(t), t).toEqual(fromVocab.encode(t));
    for (const c of clipCases) expect(fromHubJson.encode(c.prompt).ids).toEqual(c.input_ids);
  });

  it('the built object survives JSON serialisation (given as a string)', () => {
    for (const t of texts) expect(fromBuiltJson.encode(t), t).toEqual(fromVocab.encode(t));
  });

  it("the built object's own post-processor adds BOS/EOS like CLIPTokenizerFast", () => {
    const raw = new Tokenizer(built, sd1Config);
    expect(raw.encode('a cat.').ids).toEqual([BOS, 320, 2368, 269, EOS]);
    expect(raw.encode('a cat.', { add_special_tokens: false }).ids).toEqual([320, 2368, 269]);
    const hub = new Tokenizer(hubStyleTokenizerJson, sd1Config);
    expect(hub.encode('A Photo Of An ASTRONAUT').ids).toEqual(raw.encode('A Photo Of An ASTRONAUT').ids);
  });

  it('prefers tokenizer.json when both forms are given', () => {
    const both = ClipTokenizer.fromFiles({ ...vocabFiles(), tokenizerJson: hubStyleTokenizerJson });
    expect(both.encode('a cat.').ids).toEqual(fromVocab.encode('a cat.').ids);
  });
});

describe('special tokens in the prompt', () => {
  it('are recognised (case-insensitively, after lowercasing) as the reference does', () => {
    const tok = ClipTokenizer.fromFiles(vocabFiles());
    const out = tok.encode('a <|endoftext|> cat <|STARTOFTEXT|>');
    expect(out.ids.slice(0, 6)).toEqual([BOS, 320, EOS, 2368, BOS, EOS]);
    expect(out.tokenCount).toBe(4);
  });
});

describe('padding', () => {
  const catIds = [BOS, 320, 2368, 269, EOS];

  it('pads with <|endoftext|> (SD 1.x)', () => {
    const out = ClipTokenizer.fromFiles(vocabFiles()).encode('a cat.');
    expect(out.ids).toEqual([...catIds, ...new Array(72).fill(EOS)]);
  });

  it('pads with "!" = 0 when the config says so (SD 2.x / Turbo)', () => {
    const tok = ClipTokenizer.fromFiles(vocabFiles({ tokenizerConfig: { ...sd1Config, pad_token: '!' } }));
    expect(tok.padTokenId).toBe(0);
    expect(tok.encode('a cat.').ids).toEqual([...catIds, ...new Array(72).fill(0)]);
    expect(tok.encode('').ids).toEqual([BOS, EOS, ...new Array(75).fill(0)]);
  });

  it('reads AddedToken objects and lets special_tokens_map.json win over tokenizer_config.json', () => {
    const tok = ClipTokenizer.fromFiles(
      vocabFiles({
        tokenizerConfig: { ...sd1Config, pad_token: '<|endoftext|>' },
        specialTokensMap: { pad_token: { content: '!', lstrip: false, normalized: false, rstrip: false, single_word: false } },
      }),
    );
    expect(tok.padTokenId).toBe(0);
  });

  it('defaults the pad token to the eos token when no file names one', () => {
    const tok = ClipTokenizer.fromFiles({ vocabJson: subsetVocab, mergesTxt: subsetMerges });
    expect(tok.padTokenId).toBe(EOS);
    expect(tok.maxLength).toBe(77);
  });
});

describe('truncation and token count', () => {
  const tok = ClipTokenizer.fromFiles(vocabFiles());
  const tok0 = ClipTokenizer.fromFiles(vocabFiles({ tokenizerConfig: { ...sd1Config, pad_token: '!' } }));
  const words = (n: number) => Array.from({ length: n }, () => 'a').join(' ');

  it('75 prompt tokens fit exactly: BOS + 75 + EOS, not truncated', () => {
    for (const t of [tok, tok0]) {
      const out = t.encode(words(75));
      expect(out.truncated).toBe(false);
      expect(out.tokenCount).toBe(75);
      expect(out.ids).toEqual([BOS, ...new Array(75).fill(320), EOS]);
    }
  });

  it('76+ tokens: truncated, EOS still last of the 77, count before truncation', () => {
    for (const n of [76, 80, 200]) {
      for (const t of [tok, tok0]) {
        const out = t.encode(words(n));
        expect(out.truncated).toBe(true);
        expect(out.tokenCount).toBe(n);
        expect(out.ids).toHaveLength(77);
        expect(out.ids[0]).toBe(BOS);
        expect(out.ids[76]).toBe(EOS);
        expect(out.ids.slice(1, 76)).toEqual(new Array(75).fill(320));
      }
    }
    expect(tok.countTokens(words(200))).toBe(200);
  });

  it('counts tokens, not words', () => {
    expect(tok.countTokens('')).toBe(0);
    expect(tok.countTokens('a cat.')).toBe(3);
    expect(tok.countTokens('x'.repeat(100))).toBe(25);
  });

  it('honours model_max_length and the maxLength option', () => {
    const short = ClipTokenizer.fromFiles(vocabFiles({ tokenizerConfig: { ...sd1Config, model_max_length: 8 } }));
    expect(short.maxLength).toBe(8);
    const out = short.encode(words(10));
    expect(out).toEqual({ ids: [BOS, 320, 320, 320, 320, 320, 320, EOS], tokenCount: 10, truncated: true });
    expect(ClipTokenizer.fromFiles(vocabFiles(), { maxLength: 5 }).encode('a cat.').ids).toEqual([BOS, 320, 2368, 269, EOS]);
    // transformers writes 1e30 for "no limit"; CLIP's position table is 77.
    const huge = ClipTokenizer.fromFiles(vocabFiles({ tokenizerConfig: { ...sd1Config, model_max_length: 1e30 } }));
    expect(huge.maxLength).toBe(77);
    expect(() => ClipTokenizer.fromFiles(vocabFiles(), { maxLength: 1 })).toThrow(/maxLength must be an integer >= 2/);
  });
});

describe('text cleanup (deliberate choice: like openai CLIP / diffusers with ftfy)', () => {
  const clip = ClipTokenizer.fromFiles(vocabFiles());
  const none = ClipTokenizer.fromFiles(vocabFiles(), { textCleanup: 'none' });
  // [as typed, what the cleanup turns it into, whether plain tokenizer.json differs]
  const pairs: [string, string, boolean][] = [
    ['fish &amp; chips', 'fish & chips', true],
    ['rock &amp;amp;amp; roll', 'rock & roll', true],
    ['<b> &amp;amp;amp; </b>', '<b> &amp; </b>', true],
    ['caf&eacute; &#233; &#xE9; &eacute', 'café é é é', true],
    ['&lt;lora:style&gt; &copy 2024 &hellip;', '<lora:style> © 2024 …', true],
    ['isn’t it “great” ‘ok’', "isn't it \"great\" 'ok'", true],
    ['ＡＢＣ　ｄｅｆ！', 'abc def!', true],
    ['ﬂower ﬃx', 'flower ffix', true],
    ['sun\u0007set zero\uFEFFwidth tab\u000Bbed', 'sunset zerowidth tabbed', true],
    // U+0085 is White_Space to the tokenizer's \s as well: no difference there.
    ['next\u0085line', 'next line', false],
  ];
  for (const [typed, cleaned, fastDiffers] of pairs) {
    it(`${label(typed)} encodes like ${label(cleaned)} does without cleanup`, () => {
      expect(clip.encode(typed)).toEqual(none.encode(cleaned));
      if (fastDiffers) expect(none.encode(typed).ids).not.toEqual(none.encode(cleaned).ids);
      else expect(none.encode(typed).ids).toEqual(none.encode(cleaned).ids);
    });
  }
});

describe('errors', () => {
  it('says which files are missing', () => {
    expect(() => ClipTokenizer.fromFiles({})).toThrow('tokenizer: neither tokenizer.json nor vocab.json + merges.txt given');
    expect(() => ClipTokenizer.fromFiles({ vocabJson: subsetVocab })).toThrow('tokenizer: vocab.json given without merges.txt');
    expect(() => ClipTokenizer.fromFiles({ mergesTxt: subsetMerges })).toThrow('tokenizer: merges.txt given without vocab.json');
  });

  it('rejects malformed files precisely', () => {
    expect(() => ClipTokenizer.fromFiles({ tokenizerJson: '{nope' })).toThrow(/tokenizer\.json is not valid JSON/);
    expect(() => ClipTokenizer.fromFiles({ tokenizerJson: { added_tokens: [] } })).toThrow('tokenizer: tokenizer.json has no "model"');
    expect(() => ClipTokenizer.fromFiles({ tokenizerJson: [1, 2] })).toThrow(/must be a JSON object/);
    expect(() => ClipTokenizer.fromFiles({ vocabJson: subsetVocab, mergesTxt: '#version: 0.2\ni n\nbad\n' })).toThrow(
      'tokenizer: merges.txt line 3 is not "left right": "bad"',
    );
    expect(() => ClipTokenizer.fromFiles({ vocabJson: { a: 0 }, mergesTxt: 'a a' })).toThrow('tokenizer: bos_token "<|startoftext|>" is not in vocab.json');
    expect(() => ClipTokenizer.fromFiles(vocabFiles({ tokenizerConfig: { pad_token: '<pad>' } }))).toThrow(
      'tokenizer: pad_token "<pad>" is not in the vocabulary',
    );
    expect(() => ClipTokenizer.fromFiles(vocabFiles({ tokenizerConfig: { pad_token: 42 } }))).toThrow(
      'tokenizer: tokenizer_config.json pad_token is neither a string nor an object with "content"',
    );
    expect(() => ClipTokenizer.fromFiles(vocabFiles(), { textCleanup: 'ftfy' as never })).toThrow(/textCleanup must be 'clip' or 'none'/);
  });

  it('rejects a non-string prompt', () => {
    const tok = ClipTokenizer.fromFiles(vocabFiles());
    expect(() => tok.encode(undefined as unknown as string)).toThrow('tokenizer: prompt must be a string');
  });
});
