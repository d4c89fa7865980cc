// Helpers of the read benchmarks (bench/reads.bench.ts, bench/load.bench.ts): the emulator and the
// bridge as child processes, the bridge's JSON-RPC client, the initial mirror, force syncs back to
// back, and the bridge's peak memory.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBenchFixture, type BenchProject } from './bench-fixture';
import {
  SetupError,
  createPgDatabase,
  dropPgDatabase,
  freePort,
  PG_BASE_URL,
  revision,
  sleep,
  startProc,
  stopProc,
  tailOf,
  tempDirs,
  waitUntil,
  type Proc,
} from './bench-processes';

export const EMU_PREFIX = '/MbioeService.svc/api/v3';
export const EMU_USER = 'odoo';
export const ODOO_DB = 'logikal';
/** States a run ends in; `interrupted` only by a shutdown, which the benchmarks do not cause. */
export const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'interrupted']);

export interface SyncAnswer {
  state: string;
  run_id: number;
  message?: string;
}

export class Bridge {
  constructor(
    readonly url: string,
    /** The bootstrap key: starts and polls syncs. */
    readonly key: string,
    readonly proc: Proc,
    /** A generated read-scope key, as an Odoo integration holds one: every measured read uses it. */
    readonly readKey: string,
  ) {}

  async rpc<T>(method: string, params: unknown): Promise<T> {
    const res = await fetch(`${this.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.key}` },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
      signal: AbortSignal.timeout(130_000),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string; data?: { message?: string } } };
    if (body.error) throw new Error(`${method}: ${body.error.data?.message ?? body.error.message}`);
    return body.result as T;
  }

  /** Peak resident set size of the bridge process so far (VmHWM), in MiB; undefined off Linux. */
  peakRssMiB(): number | undefined {
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.proc.child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}

/** `logikal-bridge emulator` on a free port; resolves with its API URL and password. */
export async function startEmulatorProc(
  root: string,
  cli: string,
  fixtureFile: string,
  latencyScale: number,
): Promise<{ url: string; password: string; proc: Proc }> {
  const password = 'bench-' + randomBytes(6).toString('hex');
  const args = ['emulator', '--fixture', fixtureFile, '--port', String(await freePort()), '--latency-scale', String(latencyScale)];
  const proc = startProc(
    'emulator',
    cli,
    [...args, '--prefix', EMU_PREFIX, '--username', EMU_USER, '--password', password],
    { ...process.env },
    root,
  );
  let url: string | undefined;
  proc.onLine = (line) => {
    url ??= /LogiKal emulator at (\S+)/.exec(line)?.[1];
  };
  await waitUntil('start-up', proc, 30_000, async () => url !== undefined);
  return { url: url!, password, proc };
}

export interface BridgeContext {
  root: string;
  cli: string;
  emulatorUrl: string;
  emuPassword: string;
  /** Prefix of temporary directory and database names, e.g. "lkb-bench-load". */
  tag: string;
  /** Extra environment for the bridge. */
  env?: NodeJS.ProcessEnv;
}

/** `logikal-bridge serve` on a fresh SQLite file or PostgreSQL database, answering /health 200; dispose() removes it all. */
export async function startBenchBridge(
  kind: 'sqlite' | 'postgres',
  ctx: BridgeContext,
): Promise<{ bridge: Bridge; label: string; dispose: () => Promise<void> }> {
  const label = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const dataDir = mkdtempSync(join(tmpdir(), `${ctx.tag}-`));
  tempDirs.add(dataDir);
  const databaseUrl =
    kind === 'postgres'
      ? await createPgDatabase(`${ctx.tag.replace(/\W/g, '_')}_${process.pid}_${randomBytes(3).toString('hex')}`)
      : undefined;
  const port = await freePort();
  const key = 'lkb_bench_' + randomBytes(18).toString('base64url');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    MIGRATE_ON_START: 'true',
    LOGIKAL_URL: ctx.emulatorUrl,
    LOGIKAL_USERNAME: EMU_USER,
    LOGIKAL_PASSWORD: ctx.emuPassword,
    BRIDGE_BOOTSTRAP_KEY: key,
    BRIDGE_DB_NAME: ODOO_DB,
    ...ctx.env,
  };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  const proc = startProc(`bridge (${label})`, ctx.cli, ['serve'], env, ctx.root);
  const url = `http://127.0.0.1:${port}`;
  const dispose = async () => {
    await stopProc(proc);
    if (databaseUrl) await dropPgDatabase(databaseUrl.slice(PG_BASE_URL.length + 1));
    rmSync(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
  };
  try {
    await waitUntil(
      '/health answering 200',
      proc,
      60_000,
      async () => (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).status === 200,
    );
  } catch (err) {
    await dispose();
    throw err;
  }
  // What Odoo is given: a key made by `logikal-bridge apikey create`, with the read scope only.
  const readKey = execFileSync(process.execPath, [ctx.cli, 'apikey', 'create', '--name', 'odoo-bench', '--scopes', 'read'], {
    env,
    cwd: ctx.root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  return { bridge: new Bridge(url, key, proc, readKey), label, dispose };
}

/** Force-syncs every project once (the mirror the reads read); returns the seconds it took. */
export async function mirrorProjects(bridge: Bridge, projects: BenchProject[], note: (s: string) => void): Promise<number> {
  const t0 = performance.now();
  for (const p of projects) {
    let r = await bridge
      .rpc<SyncAnswer>('sync.force_project', { project_id: p.name, directory_id: p.directory, wait_seconds: 110 })
      .catch((err: Error) => {
        throw new SetupError(`initial sync of ${p.name}: ${err.message}${tailOf(bridge.proc)}`);
      });
    while (!TERMINAL.has(r.state)) {
      await sleep(250);
      r = await bridge.rpc('sync.status', { run_id: r.run_id });
    }
    if (r.state === 'failed') throw new SetupError(`initial sync of ${p.name} failed: ${r.message}${tailOf(bridge.proc)}`);
    if (r.state !== 'succeeded') note(`  note: initial sync of ${p.name} ended ${r.state}: ${r.message}`);
  }
  return (performance.now() - t0) / 1000;
}

/** Force syncs of the projects, one after another, re-triggered until stop() — with wait_seconds 0. */
export function syncLoop(bridge: Bridge, projects: BenchProject[]) {
  let stopping = false;
  let windowOpen = true;
  const counts = { completed: 0, succeeded: 0, partial: 0, failed: 0, interrupted: 0, errors: 0, started: 0 };
  const loop = (async () => {
    for (let i = 0; !stopping; i++) {
      const p = projects[i % projects.length];
      try {
        let r = await bridge.rpc<SyncAnswer>('sync.force_project', {
          project_id: p.name,
          directory_id: p.directory,
          wait_seconds: 0,
        });
        counts.started++;
        while (!TERMINAL.has(r.state)) {
          await sleep(200);
          r = await bridge.rpc('sync.status', { run_id: r.run_id });
        }
        if (windowOpen) {
          counts.completed++;
          counts[r.state as 'succeeded' | 'partial' | 'failed' | 'interrupted']++;
        }
      } catch {
        counts.errors++;
        await sleep(500);
      }
    }
  })();
  return {
    counts,
    /** "force syncs completed 3 (3 ok, 0 partial, 0 failed) of 4 started". */
    describe(): string {
      const c = counts;
      return `force syncs completed ${c.completed} (${c.succeeded} ok, ${c.partial} partial, ${c.failed} failed) of ${c.started} started${c.errors ? `, ${c.errors} sync rpc errors` : ''}`;
    },
    /** Stop re-triggering; the run in flight finishes (not counted). */
    async stop(): Promise<void> {
      windowOpen = false;
      stopping = true;
      await Promise.race([loop, sleep(120_000)]);
    },
  };
}

/** The flags bench:reads and bench:load share, checked once. */
export function checkLoadFlags(f: { db: string; duration: number; connections: number; latencyScale: number }): void {
  if (!['sqlite', 'postgres', 'both'].includes(f.db)) throw new SetupError('--db must be sqlite, postgres or both');
  if (!(f.duration > 0) || !(Number.isInteger(f.connections) && f.connections > 0) || !(f.latencyScale >= 0)) {
    throw new SetupError('--duration must be > 0, --connections a positive integer, --latency-scale ≥ 0');
  }
}

/** The demo fixture with copies of its projects, so that a list view reads a full page of `limit` rows. */
export function enlargedFixture(root: string, tag: string, limit: number): ReturnType<typeof writeBenchFixture> {
  const dir = mkdtempSync(join(tmpdir(), `${tag}-fixture-`));
  tempDirs.add(dir);
  return writeBenchFixture(join(root, 'fixtures', 'demo.json'), join(root, 'fixtures', 'thumbnails'), dir, limit);
}

/** Which code ran where, for a bench's header. */
export function machineLine(root: string): string {
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `revision ${revision(root)}, node ${process.version}, ${cpus().length} cores, load average ${load} at start`;
}
