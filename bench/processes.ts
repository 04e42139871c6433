/** Debian's Chromium for the browser benchmarks, and its child processes' memory from ps and /proc (Linux only). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Processes of one type (`renderer`, `gpu-process`) under the browser whose main pid is `browserPid`. */
export function children(browserPid: number, type: string): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
  const inTree = new Set([browserPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows)
      if (inTree.has(r.ppid) && !inTree.has(r.pid)) {
        inTree.add(r.pid);
        grew = true;
      }
  }
  return rows.filter((r) => inTree.has(r.pid) && r.args.includes(`--type=${type}`)).map((r) => r.pid);
}

export const renderers = (browserPid: number) => children(browserPid, 'renderer');

/** A `/proc/<pid>/status` field in bytes (VmRSS:, VmHWM:); 0 for a process that is gone. */
export function statusBytes(pid: number, field: string): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(field));
    return Number(/(\d+) kB/.exec(line ?? '')?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The verified headless flags (WebGPU through SwiftShader, nothing phoning home). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
