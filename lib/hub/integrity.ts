/**
 * What the Hub promises about a file, checked while its bytes stream: the size always; the
 * sha256 for LFS files (the tree's `lfs.oid`, also the blob's ETag); the git blob sha1 (the
 * tree's `oid`: sha1 of "blob {size}\0{content}") for the rest. hash-wasm runs in the browser
 * and in Node, incrementally, so a multi-GB weights file is never held whole to be hashed.
 */
import { createSHA1, createSHA256, type IHasher } from 'hash-wasm';
import { ModelFolderError } from '../errors';

export interface ExpectedFile {
  /** Path inside the repo, named in the errors. */
  path: string;
  size: number;
  /** LFS files: the sha256 of the content. */
  sha256?: string;
  /** Git blob sha1 (checked when there is no sha256). */
  oid?: string;
}

export interface FileVerifier {
  update(bytes: Uint8Array): void;
  /** Bytes seen so far. */
  readonly received: number;
  /** Throws a ModelFolderError('malformed-file') naming the file when the size or hash is not the promised one. */
  finish(): void;
}

const encoder = new TextEncoder();

export async function createVerifier(expected: ExpectedFile): Promise<FileVerifier> {
  let hasher: IHasher | null = null;
  let algo: 'sha256' | 'sha1' | null = null;
  let want = '';
  if (expected.sha256) {
    hasher = await createSHA256();
    algo = 'sha256';
    want = expected.sha256.toLowerCase();
  } else if (expected.oid && /^[0-9a-f]{40}$/i.test(expected.oid)) {
    hasher = await createSHA1();
    algo = 'sha1';
    want = expected.oid.toLowerCase();
  }
  hasher?.init();
  if (algo === 'sha1') hasher?.update(encoder.encode(`blob ${expected.size}\0`));
  let received = 0;
  return {
    get received() {
      return received;
    },
    update(bytes) {
      received += bytes.length;
      hasher?.update(bytes);
    },
    finish() {
      if (received !== expected.size) {
        throw new ModelFolderError(
          'malformed-file',
          expected.path,
          `${expected.path}: downloaded ${received} bytes but the Hub lists ${expected.size}: the file is incomplete or not the one listed`,
        );
      }
      if (hasher && algo) {
        const got = hasher.digest('hex');
        if (got !== want) {
          const what = algo === 'sha256' ? 'sha256 (LFS oid)' : 'git blob sha1 (oid)';
          throw new ModelFolderError(
            'malformed-file',
            expected.path,
            `${expected.path}: ${what} is ${got} but the Hub lists ${want}: the download is corrupted`,
          );
        }
      }
    },
  };
}
