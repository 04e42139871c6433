import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPolicy, exportScriptHashes, headersFile, HUB_ORIGINS, inlineScriptHashes, parseHubOrigins, securityHeaders } from '../../../scripts/csp.mjs';

const sha = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
const directive = (policy: string, name: string) =>
  policy
    .split('; ')
    .find((d) => d.startsWith(`${name} `))
    ?.split(' ')
    .slice(1);

describe('inlineScriptHashes', () => {
  it('hashes the exact text of each inline script, skips src= scripts and repeats', () => {
    const a = '(self.__next_f=self.__next_f||[]).push([0])';
    const b = 'self.__next_f.push([1,"é \\u003c/script"])\n';
    const html = `<html><script src="/_next/a.js" async=""></script><script>${a}</script><SCRIPT id="_R_">${b}</SCRIPT ><script>${a}</script><script type="module"
      src="/x.mjs"></script></html>`;
    expect(inlineScriptHashes(html)).toEqual([sha(a), sha(b)]);
  });

  it('finds no hashes in a page without inline scripts', () => {
    expect(inlineScriptHashes('<script src="/a.js"></script><p>hi</p>')).toEqual([]);
  });

  it('collects the hashes of every page of an export, nested ones included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lantern-csp-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<script>one()</script>');
      mkdirSync(join(dir, '_not-found'));
      writeFileSync(join(dir, '_not-found', 'index.html'), '<script>two()</script><script>one()</script>');
      writeFileSync(join(dir, 'page.txt'), '<script>not html()</script>');
      expect(exportScriptHashes(dir)).toEqual([sha('one()'), sha('two()')].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseHubOrigins', () => {
  it('defaults to the Hub and its CDN domains', () => {
    expect(parseHubOrigins(undefined)).toEqual(HUB_ORIGINS);
    expect(parseHubOrigins('  ')).toEqual(HUB_ORIGINS);
    expect(HUB_ORIGINS).toEqual(expect.arrayContaining(['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co']));
  });

  it('takes comma or space separated origins, port wildcards, and drops paths', () => {
    expect(parseHubOrigins('http://127.0.0.1:*, https://mirror.example/ https://cdn.mirror.example:8443/a/b')).toEqual([
      'http://127.0.0.1:*',
      'https://mirror.example',
      'https://cdn.mirror.example:8443',
    ]);
  });

  it('refuses what is not an origin (a quote or ; would change the policy)', () => {
    expect(() => parseHubOrigins("https://a.example; script-src 'unsafe-inline'")).toThrow(/not a CSP origin/);
    expect(() => parseHubOrigins('mirror.example')).toThrow(/not a CSP origin/);
    expect(() => parseHubOrigins("'unsafe-eval'")).toThrow(/not a CSP origin/);
  });
});

describe('buildPolicy', () => {
  const policy = buildPolicy({ scriptHashes: [sha('a'), sha('b')], hubOrigins: ['https://mirror.example'] });

  it('allows scripts from self, by hash, and wasm compilation, never eval or any inline script', () => {
    expect(directive(policy, 'script-src')).toEqual(["'self'", "'wasm-unsafe-eval'", sha('a'), sha('b')]);
    expect(policy).not.toMatch(/'unsafe-eval'|script-src[^;]*'unsafe-inline'/);
  });

  it('limits connect-src to self and the Hub origins', () => {
    expect(directive(policy, 'connect-src')).toEqual(["'self'", 'https://mirror.example']);
    expect(directive(buildPolicy(), 'connect-src')).toEqual(["'self'", ...HUB_ORIGINS]);
  });

  it('forbids framing, plugins and base/form redirection', () => {
    expect(directive(policy, 'frame-ancestors')).toEqual(["'none'"]);
    expect(directive(policy, 'object-src')).toEqual(["'none'"]);
    expect(directive(policy, 'base-uri')).toEqual(["'self'"]);
    expect(directive(policy, 'worker-src')).toEqual(["'self'"]);
    // The e2e server's --blob-workers (the OPFS harness) only adds to it.
    expect(directive(buildPolicy({ workerSources: ['blob:'] }), 'worker-src')).toEqual(["'self'", 'blob:']);
    expect(directive(policy, 'img-src')).toEqual(["'self'", 'blob:', 'data:']);
  });

  it('comes with nosniff, X-Frame-Options and a referrer policy, and as a _headers file for every path', () => {
    const headers = securityHeaders(policy);
    expect(headers).toMatchObject({ 'Content-Security-Policy': policy, 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY' });
    expect(headers['Referrer-Policy']).toBeTruthy();
    const file = headersFile(headers);
    expect(file.split('\n')[0]).toBe('/*');
    expect(file).toContain(`  Content-Security-Policy: ${policy}\n`);
    expect(file).toContain('  X-Content-Type-Options: nosniff\n');
  });
});
