'use client';
import { useEffect, useState } from 'react';
import { useHub } from '@/stores/hub';
import { pagePolicy, policyAllows } from './connect-src';
import { hubEndpoint } from './library';
import { fieldClass } from '../fields';

/** The Hub endpoint (HF_ENDPOINT's counterpart) and an access token for gated repos, kept in this browser only. */
export function HubSettingsForm() {
  const endpoint = useHub((h) => h.endpoint);
  const token = useHub((h) => h.token);
  const set = useHub((h) => h.set);
  const inUse = typeof window !== 'undefined' ? hubEndpoint() : endpoint;
  // The host's Content-Security-Policy, to warn about an endpoint its connect-src blocks.
  const [policy, setPolicy] = useState<string | null>(null);
  useEffect(() => void pagePolicy().then(setPolicy), []);
  const blocked = policy ? [...new Set([endpoint, inUse])].filter((e) => !policyAllows(policy, e, location.href)) : [];
  return (
    <details className="text-sm">
      <summary className="cursor-pointer">Hub settings</summary>
      <div className="mt-2 flex flex-col gap-2">
        <label className="flex items-center gap-2">
          <span className="w-24">Endpoint</span>
          <input data-testid="hub-endpoint" className={`${fieldClass} grow font-mono`} value={endpoint} onChange={(e) => set({ endpoint: e.target.value.trim() })} />
        </label>
        {inUse !== endpoint && <p className="text-neutral-500">This page uses {inUse} (from ?hub=).</p>}
        {blocked.length > 0 && (
          <p data-testid="hub-endpoint-blocked" className="text-amber-700">
            This site&apos;s Content-Security-Policy does not allow connections to {blocked.join(' or ')}, so downloads from it will fail. Whoever hosts
            the studio can allow it, and the CDN it redirects to, with <code>serve-static.mjs --hub</code> (see docs/hub.md).
          </p>
        )}
        <label className="flex items-center gap-2">
          <span className="w-24">Access token</span>
          <input
            data-testid="hub-token"
            type="password"
            autoComplete="off"
            className={`${fieldClass} grow font-mono`}
            placeholder="hf_… (for gated or private repos)"
            value={token}
            onChange={(e) => set({ token: e.target.value.trim() })}
          />
        </label>
        <p className="text-neutral-500">The token stays in this browser and is sent only to the endpoint above, never to the download CDN.</p>
      </div>
    </details>
  );
}
