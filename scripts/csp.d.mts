// Types for scripts/csp.mjs (plain JS, run by node without a build step), for the unit tests.
export const HUB_ORIGINS: string[];
export function parseHubOrigins(value: string | undefined | null): string[];
export function inlineScriptHashes(html: string): string[];
export function exportScriptHashes(dir: string): string[];
export function buildPolicy(opts?: { scriptHashes?: string[]; hubOrigins?: string[]; workerSources?: string[] }): string;
export function securityHeaders(policy: string): Record<string, string>;
export function headersFile(headers: Record<string, string>): string;
