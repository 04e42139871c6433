/**
 * The Hub emulator as a process, for manual runs of the studio or the CLI against it:
 *   npx tsx tests/helpers/hub-emulator-server.ts --repo lantern/sd-turbo=models/fixtures/replicas/optimum-sd-turbo \
 *     [--repo owner/name=folder[@token]] [--port 7860] [--cdn-port 7861] [--lfs-threshold 100000] [--page-size 1000] \
 *     [--bytes-per-second N] [--relative-redirects] [--log]
 * prints `HF_ENDPOINT=http://127.0.0.1:PORT` and serves until Ctrl-C. `@token` after a folder gates that repo.
 */
import { parseArgs } from 'node:util';
import { startHubEmulator, type EmulatedRepo } from './hub-emulator';

const USAGE =
  'usage: npx tsx tests/helpers/hub-emulator-server.ts --repo owner/name=folder[@token] [--repo …] [--port N] [--cdn-port N] [--host H] ' +
  '[--lfs-threshold BYTES] [--page-size N] [--bytes-per-second N] [--relative-redirects] [--log]';

/** `owner/name=folder[@token]` → an EmulatedRepo; the message names the value when it is not one. */
export function parseRepoSpec(spec: string): EmulatedRepo {
  const m = /^([\w.-]+\/[\w.-]+)=(.+?)(?:@([^@/]+))?$/.exec(spec);
  if (!m) throw new Error(`--repo "${spec}" is not owner/name=folder[@token]`);
  return { id: m[1], folder: m[2], ...(m[3] ? { token: m[3] } : {}) };
}

function integer(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} must be a non-negative integer (got "${value}")`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      repo: { type: 'string', multiple: true },
      port: { type: 'string' },
      'cdn-port': { type: 'string' },
      host: { type: 'string' },
      'lfs-threshold': { type: 'string' },
      'page-size': { type: 'string' },
      'bytes-per-second': { type: 'string' },
      'relative-redirects': { type: 'boolean' },
      log: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || !values.repo?.length) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help ? 0 : 2);
  }
  const port = integer('port', values.port);
  const hub = await startHubEmulator({
    repos: values.repo.map(parseRepoSpec),
    port,
    cdnPort: integer('cdn-port', values['cdn-port']) ?? (port ? port + 1 : 0),
    host: values.host,
    lfsThreshold: integer('lfs-threshold', values['lfs-threshold']),
    pageSize: integer('page-size', values['page-size']) ?? 1000,
    bytesPerSecond: integer('bytes-per-second', values['bytes-per-second']) ?? null,
    relativeRedirects: values['relative-redirects'],
  });
  process.stdout.write(`HF_ENDPOINT=${hub.endpoint}\nCDN=${hub.cdn}\n`);
  for (const repo of hub.repos.values()) {
    const bytes = [...repo.files.values()].reduce((a, f) => a + f.size, 0);
    process.stdout.write(
      `  ${repo.id}@${repo.branch} (${repo.commit.slice(0, 8)}): ${repo.files.size} files, ${(bytes / 1e6).toFixed(1)} MB${repo.token ? ', gated' : ''}\n`,
    );
  }
  if (values.log) {
    let shown = 0;
    setInterval(() => {
      for (; shown < hub.log.length && hub.log[shown].done; shown++) {
        const l = hub.log[shown];
        process.stdout.write(
          `${l.origin} ${l.method} ${l.path}${l.range ? ` [${l.range}]` : ''} → ${l.status}, ${l.bytes} bytes${l.aborted ? ' (aborted)' : ''}\n`,
        );
      }
    }, 200).unref();
  }
  const stop = () => void hub.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`hub-emulator: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  });
}
