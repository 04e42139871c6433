'use client';
/**
 * Registers /sw.js (scripts/service-worker.js): the app shell offline, and cross-origin isolation
 * on hosts that send no COOP/COEP. The worker can only add those headers to documents it serves,
 * so a page that loaded without them reloads once when the worker takes control; a session flag
 * stops a browser that still refuses isolation from reloading forever.
 */
import { useEffect } from 'react';

const RELOADED_KEY = 'lantern-sw-reloaded';

function reloadOnce(): void {
  if (sessionStorage.getItem(RELOADED_KEY)) return;
  sessionStorage.setItem(RELOADED_KEY, '1');
  window.location.reload();
}

async function register(): Promise<void> {
  const registration = await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  if (window.crossOriginIsolated) {
    sessionStorage.removeItem(RELOADED_KEY);
    return;
  }
  // Controlled yet not isolated (an older worker served this page), or a hard reload bypassed
  // an active worker: the next load gets the headers.
  if (navigator.serviceWorker.controller || registration.active) return reloadOnce();
  navigator.serviceWorker.addEventListener('controllerchange', reloadOnce, { once: true });
}

/** `next dev` sets the headers itself and its assets are not hashed: a worker left by a build would serve stale code. */
async function unregisterForDev(): Promise<void> {
  const registrations = await navigator.serviceWorker.getRegistrations();
  await Promise.all(registrations.map((r) => r.unregister()));
  if (navigator.serviceWorker.controller) reloadOnce();
}

export function ServiceWorker() {
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const run = process.env.NODE_ENV === 'production' ? register : unregisterForDev;
    run().catch((err: unknown) => console.warn('lantern: service worker unavailable', err));
  }, []);
  return null;
}
