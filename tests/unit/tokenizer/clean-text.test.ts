import { describe, expect, it } from 'vitest';
import { cleanClipText, unescapeHtml } from '../../../lib/tokenizer';

describe('unescapeHtml (Python html.unescape semantics)', () => {
  it.each([
    ['fish &amp; chips', 'fish & chips'],
    ['&amp;amp;', '&amp;'], // one level per pass
    ['&lt;b&gt; &quot;x&quot; &apos;y&apos;', '<b> "x" \'y\''],
    ['&eacute; &Eacute; &yuml; &nbsp; &THORN; &divide; &times; &iexcl;', 'é É ÿ \u00a0 Þ ÷ × ¡'],
    ['&copy 2024 &AMP &ampfoo', '© 2024 & &foo'], // legacy names need no ';'
    ['&notit;', '¬it;'], // longest legacy prefix, as in Python's docs
    ['&hellip;&mdash;&rsquo;&euro;', '…—’€'],
    ['&hellip &unknown; & alone', '&hellip &unknown; & alone'], // non-legacy needs ';'
    ['&#233;&#xE9;&#XE9', 'ééé'],
    ['&#0;|&#x80;|&#150;|&#1;|&#xD800;|&#x110000;|&#13;', '\uFFFD|€|–||\uFFFD|\uFFFD|\r'],
    ['no entities', 'no entities'],
  ])('%j -> %j', (input, expected) => {
    expect(unescapeHtml(input)).toBe(expected);
  });
});

describe('cleanClipText (cheap part of ftfy.fix_text + html.unescape x2)', () => {
  it.each([
    ['rock &amp;amp;amp; roll', 'rock & roll'], // ftfy unescapes to a fixed point without '<'
    ['<b> &amp;amp;amp; </b>', '<b> &amp; </b>'], // with '<' only CLIP's two html.unescape passes
    ['ﬁne ﬂower ﬀ ﬃ ﬄ ĳ', 'fine flower ff ffi ffl ij'],
    ['ＡＢＣ１２３！　ｘ', 'ABC123! x'],
    ['中文提示词：一只猫', '中文提示词:一只猫'],
    ['ｶﾀｶﾅ', 'カタカナ'], // half-width katakana widened, as ftfy does
    ['isn’t ‘a’ “b” ‟c„ ‚d‛', "isn't 'a' \"b\" \"c\" 'd'"],
    ['a\u0000b\u0007c\u000Bd\u001Fe\u007Ff\uFEFFg', 'abcdefg'],
    ['tab\tform\fline\nreturn\r\n', 'tab\tform\fline\nreturn\n'],
    ['\u001b[31mred\u001b[0m', 'red'],
    ['x\u0085y\u2028z', 'x\ny\nz'],
    ['² ½ ™ ∑', '² ½ ™ ∑'], // no general NFKC: ftfy leaves these alone
  ])('%j -> %j', (input, expected) => {
    expect(cleanClipText(input)).toBe(expected);
  });
});
