import { describe, expect, it } from 'vitest';
import {
  formatRepoRef,
  isCommitSha,
  looksLikeRepoRef,
  nextLink,
  normalizeEtag,
  parseRepoRef,
  repoFolderName,
  resolveUrl,
  revisionUrl,
  treeUrl,
} from '@/lib/hub/repo-id';

describe('parseRepoRef', () => {
  it.each([
    ['stabilityai/sd-turbo', { repo: 'stabilityai/sd-turbo', revision: 'main', subfolder: '' }],
    ['owner/repo@v1.0', { repo: 'owner/repo', revision: 'v1.0', subfolder: '' }],
    ['owner/repo@refs/pr/3', { repo: 'owner/repo', revision: 'refs/pr/3', subfolder: '' }],
    ['owner/repo:onnx/fp16', { repo: 'owner/repo', revision: 'main', subfolder: 'onnx/fp16' }],
    ['owner/repo:onnx/', { repo: 'owner/repo', revision: 'main', subfolder: 'onnx' }],
    [
      'o.w-n_er/re.po@0123456789abcdef0123456789abcdef01234567:sub',
      { repo: 'o.w-n_er/re.po', revision: '0123456789abcdef0123456789abcdef01234567', subfolder: 'sub' },
    ],
  ])('%s', (arg, want) => {
    expect(parseRepoRef(arg)).toEqual(want);
    expect(parseRepoRef(formatRepoRef(want))).toEqual(want);
  });

  it.each([
    ['repo', /--model "repo" is not a Hub reference owner\/repo\[@revision\]\[:subfolder\]: it has no "\/"/],
    ['a/b/c', /more than one "\/"/],
    ['a/b@', /revision after "@" is empty/],
    ['a/b:', /subfolder after ":" is empty/],
    ['a/b:../x', /must be a relative path/],
    ['a/b:x//y', /must be a relative path/],
    ['a/-b', /may not start or end/],
    ['a/b--c', /may not contain "--"/],
    ['a/b c', /may hold only/],
    ['a/b@x y', /not a branch, tag or commit/],
    ['/b', /the owner is empty/],
  ])('refuses %s', (arg, message) => {
    expect(() => parseRepoRef(arg)).toThrow(message);
  });

  it('names the argument it was given', () => {
    expect(() => parseRepoRef('nope', '--controlnet')).toThrow(/^--controlnet "nope"/);
  });

  it('tells Hub references from paths and URLs', () => {
    expect(looksLikeRepoRef('owner/repo')).toBe(true);
    expect(looksLikeRepoRef('owner/repo@main:sub/dir')).toBe(true);
    expect(looksLikeRepoRef('models/fixtures/tiny-sd')).toBe(false);
    expect(looksLikeRepoRef('./a/b')).toBe(false);
    expect(looksLikeRepoRef('https://x/a/b')).toBe(false);
    expect(looksLikeRepoRef('plain')).toBe(false);
  });
});

describe('Hub URLs', () => {
  const e = 'https://huggingface.co/';
  it('resolve/ encodes path segments and the whole revision', () => {
    expect(resolveUrl(e, 'a/b', 'main', 'unet/model.onnx')).toBe('https://huggingface.co/a/b/resolve/main/unet/model.onnx');
    expect(resolveUrl(e, 'a/b', 'refs/pr/1', 'dir with space/ü#.json')).toBe(
      'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/dir%20with%20space/%C3%BC%23.json',
    );
  });
  it('tree and revision APIs', () => {
    expect(treeUrl(e, 'a/b', 'main')).toBe('https://huggingface.co/api/models/a/b/tree/main?recursive=true');
    expect(treeUrl(e, 'a/b', 'v1/x', 'onnx/fp16')).toBe('https://huggingface.co/api/models/a/b/tree/v1%2Fx/onnx/fp16?recursive=true');
    expect(revisionUrl('http://127.0.0.1:9', 'a/b', 'main')).toBe('http://127.0.0.1:9/api/models/a/b/revision/main');
  });
  it('Link pagination', () => {
    expect(nextLink('<https://huggingface.co/api/models/a/b/tree/main?cursor=abc>; rel="next"')).toBe(
      'https://huggingface.co/api/models/a/b/tree/main?cursor=abc',
    );
    expect(nextLink('<https://x/prev>; rel="prev", <https://x/n?a=1,2>; rel="next"')).toBe('https://x/n?a=1,2');
    expect(nextLink('<https://x/prev>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });
  it('cache names', () => {
    expect(repoFolderName('stabilityai/sd-turbo')).toBe('models--stabilityai--sd-turbo');
    expect(normalizeEtag('W/"abc"')).toBe('abc');
    expect(normalizeEtag('"abc"')).toBe('abc');
    expect(isCommitSha('a'.repeat(40))).toBe(true);
    expect(isCommitSha('main')).toBe(false);
  });
});
