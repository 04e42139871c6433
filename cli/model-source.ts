/** The FileSource a `--model` value names: an http(s) URL, an existing local folder, or a Hub repo `owner/repo[@revision][:subfolder]`. */
import { stat } from 'node:fs/promises';
import { looksLikeRepoRef, parseRepoRef } from '../lib/hub/repo-id';
import { fetchSource, type FileSource } from '../lib/models/file-source';
import { fsSource } from './fs-source';
import { hubSource } from './hf-cache';

export async function modelSource(value: string, argName = '--model'): Promise<FileSource> {
  if (/^https?:\/\//.test(value)) return fetchSource(value);
  const local = await stat(value).catch(() => null);
  if (local?.isDirectory() || !looksLikeRepoRef(value)) return fsSource(value);
  return hubSource(parseRepoRef(value, argName));
}
