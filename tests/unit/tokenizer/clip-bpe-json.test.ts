import { describe, expect, it } from 'vitest';
import { buildClipTokenizerJson, parseMergesTxt, CLIP_SPLIT_REGEX } from '../../../lib/tokenizer';
import { subsetMerges, subsetVocab } from './helpers';

describe('parseMergesTxt', () => {
  it('skips the #version header and blank lines, keeps rank order, accepts CRLF', () => {
    expect(parseMergesTxt('#version: 0.2\ni n\nt h\n\n')).toEqual([
      ['i', 'n'],
      ['t', 'h'],
    ]);
    expect(parseMergesTxt('i n\r\nt h\r\n')).toEqual([
      ['i', 'n'],
      ['t', 'h'],
    ]);
  });

  it('rejects malformed lines and empty files', () => {
    expect(() => parseMergesTxt('i n\na b c')).toThrow('tokenizer: merges.txt line 2 is not "left right": "a b c"');
    expect(() => parseMergesTxt('#version: 0.2\n')).toThrow('tokenizer: merges.txt has no merges');
  });
});

describe('buildClipTokenizerJson', () => {
  const json = buildClipTokenizerJson(subsetVocab, subsetMerges);

  it('mirrors CLIPTokenizerFast: normalizer, split regex + ByteLevel, BPE with </w>, Roberta post-processor', () => {
    expect(json.normalizer).toEqual({
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
    });
    expect(CLIP_SPLIT_REGEX).toBe("<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+");
    expect(json.model).toMatchObject({
      type: 'BPE',
      unk_token: '<|endoftext|>',
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
    });
    expect(json.model.merges[0]).toEqual(['i', 'n']);
    expect(json.model.merges).toHaveLength(subsetMerges.trim().split('\n').length - 1);
    expect(json.post_processor).toMatchObject({
      type: 'RobertaProcessing',
      cls: ['<|startoftext|>', 49406],
      sep: ['<|endoftext|>', 49407],
    });
    expect(json.added_tokens.map((t) => [t.id, t.content, t.special])).toEqual([
      [49406, '<|startoftext|>', true],
      [49407, '<|endoftext|>', true],
    ]);
  });

  it('validates the vocabulary', () => {
    expect(() => buildClipTokenizerJson([] as never, 'a b')).toThrow(/vocab\.json must be an object/);
    expect(() => buildClipTokenizerJson({ a: -1 }, 'a b')).toThrow('tokenizer: vocab.json id of "a" is not a non-negative integer');
    expect(() => buildClipTokenizerJson({ '<|startoftext|>': 1 }, 'a b')).toThrow('tokenizer: eos_token "<|endoftext|>" is not in vocab.json');
  });
});
