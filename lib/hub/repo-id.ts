/**
 * Hub repository references (`owner/repo[@revision][:subfolder]`) and the Hub's URL
 * conventions, as huggingface_hub builds them: `hf_hub_url` for `resolve/`, `list_repo_tree`
 * for the tree API, `repo_info` for `revision/`. Framework-free: the browser uses it too.
 */

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export interface HubRepoRef {
  /** `owner/name`. */
  repo: string;
  /** Branch, tag or commit sha; `main` when the argument names none. */
  revision: string;
  /** Folder inside the repo that holds the model ("" = the top). */
  subfolder: string;
}

/** huggingface_hub's validate_repo_id: word characters, `-` and `.`, no `--` or `..`, at most 96 characters. */
const NAME = /^[\w.-]+$/;

function nameProblem(part: string, what: string): string | null {
  if (!part) return `${what} is empty`;
  if (!NAME.test(part)) return `${what} "${part}" may hold only letters, digits, "-", "_" and "."`;
  if (/^[-.]|[-.]$/.test(part)) return `${what} "${part}" may not start or end with "-" or "."`;
  if (part.includes('--') || part.includes('..')) return `${what} "${part}" may not contain "--" or ".."`;
  return null;
}

/** A 40-hex-digit git commit sha (what `snapshots/` and `refs/` hold). */
export function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/** Does `arg` have the shape of a Hub reference (and not of a local path or URL)? Says nothing about validity. */
export function looksLikeRepoRef(arg: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(arg) && !/^[./~\\]/.test(arg) && /^[^/@:]+\/[^/@:]+([@:]|$)/.test(arg);
}

/**
 * Parses `owner/repo[@revision][:subfolder]`. `argName` (e.g. `--model`) names the argument in the
 * message when the value is refused.
 */
export function parseRepoRef(value: string, argName = '--model'): HubRepoRef {
  const fail = (why: string): never => {
    throw new Error(`${argName} "${value}" is not a Hub reference owner/repo[@revision][:subfolder]: ${why}`);
  };
  let rest = value.trim();
  if (rest !== value) fail('it has surrounding spaces');
  let subfolder = '';
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    subfolder = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!subfolder) fail('the subfolder after ":" is empty');
    subfolder = subfolder.replace(/\/+$/, '');
    const parts = subfolder.split('/');
    if (subfolder.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      fail(`the subfolder "${subfolder}" must be a relative path without empty, "." or ".." parts`);
    }
  }
  let revision = DEFAULT_REVISION;
  const at = rest.indexOf('@');
  if (at >= 0) {
    revision = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!revision) fail('the revision after "@" is empty');
    if (/\s/.test(revision) || revision.includes('..') || revision.startsWith('/') || revision.endsWith('/')) {
      fail(`the revision "${revision}" is not a branch, tag or commit name`);
    }
  }
  const parts = rest.split('/');
  if (parts.length !== 2) fail(parts.length < 2 ? 'it has no "/" between owner and repo' : 'it has more than one "/" before "@" or ":"');
  const problem = nameProblem(parts[0], 'the owner') ?? nameProblem(parts[1], 'the repo name');
  if (problem) fail(problem);
  if (rest.length > 96) fail('the repo id is longer than 96 characters');
  return { repo: rest, revision, subfolder };
}

/** `owner/repo@rev:sub`, leaving out the parts that are the defaults. */
export function formatRepoRef(ref: HubRepoRef): string {
  return `${ref.repo}${ref.revision !== DEFAULT_REVISION ? `@${ref.revision}` : ''}${ref.subfolder ? `:${ref.subfolder}` : ''}`;
}

const trimEndpoint = (endpoint: string) => endpoint.replace(/\/+$/, '');
/** Each path segment encoded, the slashes kept (Python's `quote(path)`). */
export const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');
/** The revision encoded whole, `/` included (`quote(revision, safe="")`): `refs/pr/1` → `refs%2Fpr%2F1`. */
export const encodeRevision = (revision: string) => encodeURIComponent(revision);

/** `{endpoint}/{repo}/resolve/{revision}/{path}`: the file (small files answer 200, LFS files 302 to the CDN). */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  return `${trimEndpoint(endpoint)}/${repo}/resolve/${encodeRevision(revision)}/${encodePath(path)}`;
}

/** `{endpoint}/api/models/{repo}/tree/{revision}[/{path}]?recursive=true`: the file listing, paginated by `Link` headers. */
export function treeUrl(endpoint: string, repo: string, revision: string, path = '', recursive = true): string {
  const sub = path ? `/${encodePath(path)}` : '';
  return `${trimEndpoint(endpoint)}/api/models/${repo}/tree/${encodeRevision(revision)}${sub}${recursive ? '?recursive=true' : ''}`;
}

/** `{endpoint}/api/models/{repo}/revision/{revision}`: repo info at a revision; its `sha` is the commit. */
export function revisionUrl(endpoint: string, repo: string, revision: string): string {
  return `${trimEndpoint(endpoint)}/api/models/${repo}/revision/${encodeRevision(revision)}`;
}

/** The URL of `rel="next"` in a `Link` header (RFC 8288), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (m && /;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?\s*(;|$)/i.test(m[2])) return m[1];
  }
  return null;
}

/** huggingface_hub's cache folder name for a model repo: `models--{owner}--{name}`. */
export function repoFolderName(repo: string): string {
  return `models--${repo.split('/').join('--')}`;
}

/** An ETag without `W/` and quotes, as huggingface_hub normalizes it before naming a blob. */
export function normalizeEtag(etag: string | null): string | null {
  if (etag === null) return null;
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}
