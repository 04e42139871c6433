/** `?loop=host|device|auto` in the studio's URL picks the denoising loop (for comparing them; default auto). */
import { LOOP_PREFERENCES, type LoopPreference } from '@/lib/diffusion/device-loop/choose';

export function loopFromUrl(search: string = globalThis.location?.search ?? ''): LoopPreference {
  const asked = new URLSearchParams(search).get('loop');
  return LOOP_PREFERENCES.find((p) => p === asked) ?? 'auto';
}
