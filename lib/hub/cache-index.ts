/**
 * The browser's Hub cache, laid out like huggingface_hub's (without blobs/: OPFS has no
 * symlinks, so a snapshot holds the bytes itself):
 *   hub/models--{owner}--{name}/snapshots/{commit}/{path}    a file, once complete and verified
 *   hub/models--{owner}--{name}/snapshots/{commit}/{path}.incomplete   while it downloads
 *   hub/models--{owner}--{name}/refs/{revision}              the commit the revision named
 *   hub/models--{owner}--{name}/lantern/{commit}[@{sub}].json the snapshot's manifest
 * `hub/` is for https://huggingface.co; another endpoint gets `hub@{host}/`, so refs from a
 * mirror or a test Hub never stand in for the real one. The manifest lists the model folder's
 * files with sizes, hashes and completeness: only a file it marks complete is ever read.
 */
import { InvalidParamsError } from '../errors';
import type { CachedFileState, CachedModelSummary, HubModelRef } from '../worker/cache-protocol';
import { readText, writeText, type BlobStore } from './blob-store';
import { DEFAULT_ENDPOINT, isCommitSha, repoFolderName } from './repo-id';

export interface ManifestFile {
  /** Path inside the model folder. */
  path: string;
  size: number;
  sha256?: string;
  /** Git blob sha1, checked when there is no sha256. */
  oid?: string;
  complete: boolean;
}

export interface SnapshotManifest {
  version: 1;
  key: string;
  ref: HubModelRef;
  commit: string;
  files: ManifestFile[];
  complete: boolean;
  updatedAt: number;
}

export interface SnapshotKey {
  host: string;
  repo: string;
  commit: string;
  subfolder: string;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    throw new InvalidParamsError(`ref.endpoint "${endpoint}" is not a URL (e.g. https://huggingface.co)`, 'endpoint');
  }
}
const DEFAULT_HOST = hostOf(DEFAULT_ENDPOINT);
const KEY = /^([^/]+)\/([^/@:]+\/[^/@:]+)@([0-9a-f]{40})(?::(.+))?$/;

/** `{host}/{owner}/{name}@{commit}[:{subfolder}]`: one snapshot of one model folder. */
export function snapshotKey(ref: HubModelRef, commit: string): string {
  return `${hostOf(ref.endpoint)}/${ref.repo}@${commit}${ref.subfolder ? `:${ref.subfolder}` : ''}`;
}

export function parseSnapshotKey(key: string): SnapshotKey {
  const m = KEY.exec(key);
  if (!m) throw new InvalidParamsError(`cache key "${key}" is not {host}/{owner}/{name}@{commit}[:{subfolder}]`, 'key');
  return { host: m[1], repo: m[2], commit: m[3], subfolder: m[4] ?? '' };
}

/** The cache's top folder for an endpoint host. */
export function hubRoot(host: string): string {
  return host === DEFAULT_HOST ? 'hub' : `hub@${encodeURIComponent(host)}`;
}

const isHubRoot = (name: string) => name === 'hub' || name.startsWith('hub@');

export function repoDir(host: string, repo: string): string {
  return `${hubRoot(host)}/${repoFolderName(repo)}`;
}

/** Where a model-folder file of the snapshot is stored. */
export function snapshotFilePath(key: SnapshotKey, path: string): string {
  return `${repoDir(key.host, key.repo)}/snapshots/${key.commit}/${key.subfolder ? `${key.subfolder}/` : ''}${path}`;
}

export function manifestPath(key: SnapshotKey): string {
  return `${repoDir(key.host, key.repo)}/lantern/${key.commit}${key.subfolder ? `@${encodeURIComponent(key.subfolder)}` : ''}.json`;
}

function parseManifest(text: string | null): SnapshotManifest | null {
  if (text === null) return null;
  try {
    const m = JSON.parse(text) as SnapshotManifest;
    return m && m.version === 1 && typeof m.key === 'string' && Array.isArray(m.files) ? m : null;
  } catch {
    return null; // a manifest cut by a crash: the snapshot is not trusted
  }
}

export class CacheIndex {
  constructor(readonly store: BlobStore) {}

  async readRef(endpoint: string, repo: string, revision: string): Promise<string | null> {
    const text = await readText(this.store, `${repoDir(hostOf(endpoint), repo)}/refs/${revision}`);
    const commit = text?.trim() ?? null;
    return commit && isCommitSha(commit) ? commit : null;
  }

  async writeRef(endpoint: string, repo: string, revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    if ((await this.readRef(endpoint, repo, revision)) === commit) return;
    await writeText(this.store, `${repoDir(hostOf(endpoint), repo)}/refs/${revision}`, commit);
  }

  async manifest(key: string): Promise<SnapshotManifest | null> {
    return parseManifest(await readText(this.store, manifestPath(parseSnapshotKey(key))));
  }

  async saveManifest(manifest: SnapshotManifest): Promise<void> {
    manifest.complete = manifest.files.every((f) => f.complete);
    await writeText(this.store, manifestPath(parseSnapshotKey(manifest.key)), JSON.stringify(manifest));
  }

  /** Each file's state on disk: complete per the manifest, else the partial's bytes. */
  async fileStates(manifest: SnapshotManifest): Promise<CachedFileState[]> {
    const key = parseSnapshotKey(manifest.key);
    return Promise.all(
      manifest.files.map(async (f): Promise<CachedFileState> => {
        if (f.complete) return { path: f.path, size: f.size, done: f.size, state: 'complete' };
        const partial = await this.store.partialSize(snapshotFilePath(key, f.path));
        return { path: f.path, size: f.size, done: partial ?? 0, state: partial === null ? 'missing' : 'partial' };
      }),
    );
  }

  async summary(manifest: SnapshotManifest): Promise<CachedModelSummary> {
    const states = await this.fileStates(manifest);
    return {
      key: manifest.key,
      ref: manifest.ref,
      commit: manifest.commit,
      files: manifest.files.length,
      bytes: manifest.files.reduce((a, f) => a + f.size, 0),
      bytesDone: states.reduce((a, f) => a + f.done, 0),
      complete: manifest.complete,
      updatedAt: manifest.updatedAt,
    };
  }

  /** The commit `ref` names without the network: a sha as it is, a branch or tag from refs/. */
  async commitOf(ref: HubModelRef): Promise<string | null> {
    return isCommitSha(ref.revision) ? ref.revision : this.readRef(ref.endpoint, ref.repo, ref.revision);
  }

  /** The complete cached snapshot for `ref`, offline, or null. */
  async find(ref: HubModelRef): Promise<CachedModelSummary | null> {
    const commit = await this.commitOf(ref);
    if (!commit) return null;
    const manifest = await this.manifest(snapshotKey(ref, commit));
    return manifest?.complete ? this.summary(manifest) : null;
  }

  async manifests(): Promise<SnapshotManifest[]> {
    const out: SnapshotManifest[] = [];
    for (const top of (await this.store.list('')) ?? []) {
      if (top.kind !== 'directory' || !isHubRoot(top.name)) continue;
      for (const repo of (await this.store.list(top.name)) ?? []) {
        if (repo.kind !== 'directory' || !repo.name.startsWith('models--')) continue;
        for (const file of (await this.store.list(`${top.name}/${repo.name}/lantern`)) ?? []) {
          if (file.kind !== 'file' || !file.name.endsWith('.json')) continue;
          const m = parseManifest(await readText(this.store, `${top.name}/${repo.name}/lantern/${file.name}`));
          if (m) out.push(m);
        }
      }
    }
    return out;
  }

  /** Every snapshot with a manifest, newest first. */
  async list(): Promise<CachedModelSummary[]> {
    const models = await Promise.all((await this.manifests()).map((m) => this.summary(m)));
    return models.sort((a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : 1));
  }

  /** Deletes one snapshot's files (complete and partial) and its manifest; the repo folder goes when nothing else is in it. */
  async delete(key: string): Promise<void> {
    const k = parseSnapshotKey(key);
    const manifest = await this.manifest(key);
    const others = (await this.manifests()).filter(
      (m) => m.key !== key && m.commit === k.commit && parseSnapshotKey(m.key).host === k.host && m.ref.repo === k.repo,
    );
    if (others.length === 0) {
      await this.store.deleteTree(`${repoDir(k.host, k.repo)}/snapshots/${k.commit}`);
    } else if (manifest) {
      // Another folder of the same commit stays: remove only this folder's files.
      const kept = new Set(others.flatMap((m) => m.files.map((f) => snapshotFilePath(parseSnapshotKey(m.key), f.path))));
      for (const f of manifest.files) {
        const path = snapshotFilePath(k, f.path);
        if (!kept.has(path)) await this.store.delete(path);
      }
    }
    await this.store.delete(manifestPath(k));
    const left = await this.store.list(`${repoDir(k.host, k.repo)}/lantern`);
    if (!left || left.length === 0) await this.store.deleteTree(repoDir(k.host, k.repo));
  }

  /** After a cancel: deletes the partials of files not yet complete; a snapshot with nothing complete goes entirely. */
  async discardUnfinished(key: string): Promise<void> {
    const manifest = await this.manifest(key);
    if (!manifest) return;
    if (!manifest.files.some((f) => f.complete)) return this.delete(key);
    const k = parseSnapshotKey(key);
    for (const f of manifest.files) if (!f.complete) await this.store.delete(snapshotFilePath(k, f.path));
  }

  async deleteAll(): Promise<void> {
    for (const top of (await this.store.list('')) ?? []) if (isHubRoot(top.name)) await this.store.deleteTree(top.name);
  }

  /** Bytes of everything cached (partials included). */
  async usage(): Promise<number> {
    let total = 0;
    for (const top of (await this.store.list('')) ?? []) if (isHubRoot(top.name)) total += await this.store.usage(top.name);
    return total;
  }
}
