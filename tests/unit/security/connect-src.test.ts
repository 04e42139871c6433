import { describe, expect, it } from 'vitest';
import { connectSources, policyAllows } from '@/components/models/connect-src';
import { buildPolicy } from '../../../scripts/csp.mjs';

const SELF = 'https://studio.example/?x=1';

describe('connectSources', () => {
  it('reads connect-src, falls back to default-src, null when neither is there', () => {
    expect(connectSources("default-src 'self'; connect-src 'self' https://a.example")).toEqual(["'self'", 'https://a.example']);
    expect(connectSources("default-src 'self'; img-src *")).toEqual(["'self'"]);
    expect(connectSources('img-src *')).toBeNull();
    expect(connectSources(null)).toBeNull();
  });
});

describe('policyAllows', () => {
  const hub = buildPolicy(); // the default: huggingface.co, hf.co and their subdomains

  it('allows the real Hub and its CDN hosts under the default policy, and nothing else', () => {
    for (const url of [
      'https://huggingface.co',
      'https://cdn-lfs-us-1.huggingface.co/x',
      'https://cas-bridge.xethub.hf.co/y',
      'https://studio.example/models/',
    ])
      expect(policyAllows(hub, url, SELF), url).toBe(true);
    for (const url of ['https://hf-mirror.com', 'http://huggingface.co.evil.example', 'https://evilhuggingface.co', 'http://127.0.0.1:8080'])
      expect(policyAllows(hub, url, SELF), url).toBe(false);
  });

  it('matches ports: default, explicit and wildcard; http sources allow the https upgrade', () => {
    const p = "connect-src 'self' http://127.0.0.1:* https://mirror.example http://plain.example:8080";
    expect(policyAllows(p, 'http://127.0.0.1:43210/api', SELF)).toBe(true);
    expect(policyAllows(p, 'http://127.0.0.2:43210', SELF)).toBe(false);
    expect(policyAllows(p, 'https://mirror.example:443/', SELF)).toBe(true);
    expect(policyAllows(p, 'https://mirror.example:8443/', SELF)).toBe(false);
    expect(policyAllows(p, 'https://plain.example:8080/', SELF)).toBe(true);
    expect(policyAllows(p, 'http://plain.example/', SELF)).toBe(false);
  });

  it("says nothing without a policy, for an unparsable endpoint, and refuses everything under 'none'", () => {
    expect(policyAllows(null, 'https://anything.example', SELF)).toBe(true);
    expect(policyAllows(hub, 'not a url', SELF)).toBe(true);
    expect(policyAllows("connect-src 'none'", 'https://studio.example', SELF)).toBe(false);
    expect(policyAllows('connect-src https:', 'https://any.example', SELF)).toBe(true);
  });
});
