/**
 * Whether this page's Content-Security-Policy lets it fetch from a Hub endpoint. A blocked fetch
 * only says "Failed to fetch", so the Hub settings read the policy the host sent with the page
 * (a HEAD of the page: same-origin, so every header is readable) and warn before a download fails.
 * Only what the policy says is checked: the CDN an endpoint redirects to must be allowed too.
 */

/** The sources of `connect-src` (or `default-src`, its fallback) in a policy; null when neither restricts. */
export function connectSources(policy: string | null): string[] | null {
  if (!policy) return null;
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), sources);
  }
  return directives.get('connect-src') ?? directives.get('default-src') ?? null;
}

const defaultPort = (scheme: string) => (scheme === 'https:' || scheme === 'wss:' ? '443' : scheme === 'http:' || scheme === 'ws:' ? '80' : '');

/** CSP3 source matching for the cases a connect-src holds: 'self', *, scheme:, scheme://host[:port] with `*.` hosts and `*` ports. */
export function sourceAllows(source: string, target: URL, self: URL): boolean {
  const s = source.toLowerCase();
  if (s === "'self'") return target.origin === self.origin;
  if (s === '*') return /^(https?|wss?):$/.test(target.protocol);
  if (/^[a-z][a-z0-9+.-]*:$/.test(s)) return target.protocol === s || (s === 'http:' && target.protocol === 'https:');
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^:/]+|\*)(?::(\d+|\*))?(\/.*)?$/.exec(s);
  if (!m) return false;
  const [, scheme, wildcard, host, port] = m;
  const wanted = scheme ? `${scheme}:` : self.protocol;
  // An http: source also allows the https: (and ws: → wss:) upgrade of the same host.
  const schemeOk = target.protocol === wanted || (wanted === 'http:' && target.protocol === 'https:') || (wanted === 'ws:' && target.protocol === 'wss:');
  if (!schemeOk) return false;
  const hostOk = host === '*' || (wildcard ? target.hostname.endsWith(`.${host}`) : target.hostname === host);
  if (!hostOk) return false;
  const targetPort = target.port || defaultPort(target.protocol);
  return port === '*' || targetPort === (port ?? defaultPort(wanted)) || (!port && wanted === 'http:' && targetPort === '443');
}

/** True when `endpoint` may be fetched under `policy` (no policy, or an unparsable endpoint: nothing to say). */
export function policyAllows(policy: string | null, endpoint: string, self: string): boolean {
  const sources = connectSources(policy);
  if (!sources) return true;
  let target: URL;
  try {
    target = new URL(endpoint);
  } catch {
    return true;
  }
  if (sources.includes("'none'")) return false;
  return sources.some((s) => sourceAllows(s, target, new URL(self)));
}

/** The policy the host sent with this page (null: none, or it could not be read). */
export async function pagePolicy(): Promise<string | null> {
  try {
    const res = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' });
    return res.headers.get('content-security-policy');
  } catch {
    return null;
  }
}
