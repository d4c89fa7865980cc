// Helpers of bench/nightly.bench.ts: an emulator with generated projects, and one or more bridge
// instances sharing one fresh PostgreSQL database (migrated once, before they start).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EmulatorStats } from '../emulator';
import type { NightlyResult } from '../server/sync/nightly-types';
import { Bridge, EMU_PREFIX, EMU_USER, ODOO_DB, TERMINAL } from './bench-bridge';
import {
  SetupError,
  createPgDatabase,
  dropPgDatabase,
  freePort,
  sleep,
  startProc,
  stopProc,
  tailOf,
  tempDirs,
  waitUntil,
  type Proc,
} from './bench-processes';

export interface GeneratedEmulator {
  url: string;
  password: string;
  proc: Proc;
  /** TRACKED_DIRECTORIES as the emulator printed it. */
  directories: string[];
}

/** `logikal-bridge emulator --generate-projects N --pregenerate-parts-lists` with maxSessions = licences. */
export async function startGeneratedEmulator(
  root: string,
  cli: string,
  o: { projects: number; seed: number; scale: number; licences: number },
): Promise<GeneratedEmulator> {
  const password = 'bench-' + randomBytes(6).toString('hex');
  const args = ['emulator', '--port', String(await freePort()), '--latency-scale', String(o.scale), '--max-sessions', String(o.licences)];
  args.push('--prefix', EMU_PREFIX, '--username', EMU_USER, '--password', password);
  args.push('--generate-projects', String(o.projects), '--generate-seed', String(o.seed), '--pregenerate-parts-lists');
  const proc = startProc('emulator', cli, args, { ...process.env }, root);
  let url: string | undefined;
  let directories: string[] | undefined;
  proc.onLine = (line) => {
    url ??= /LogiKal emulator at (\S+)/.exec(line)?.[1];
    const tracked = /TRACKED_DIRECTORIES=(.*)$/.exec(line)?.[1];
    if (tracked !== undefined) directories = tracked.split(',');
  };
  // Generating every parts list first takes ~0.03 s each.
  await waitUntil('start-up with generated projects', proc, 300_000, async () => url !== undefined && directories !== undefined);
  return { url: url!, password, proc, directories: directories! };
}

export async function emulatorControl<T>(emulatorUrl: string, method: 'GET' | 'POST', action: string): Promise<T> {
  const res = await fetch(`${emulatorUrl}/__emulator/${action}`, { method, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new SetupError(`emulator ${action}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const emulatorStats = (url: string) => emulatorControl<EmulatorStats>(url, 'GET', 'stats');

export interface Cluster {
  bridges: Bridge[];
  /** Lines the instances logged that mention an error, oldest first (the caller may empty it). */
  errors: string[];
  /** Stops every instance, drops the database, removes the data directories. */
  dispose(): Promise<void>;
}

export interface ClusterOptions {
  root: string;
  cli: string;
  emulator: GeneratedEmulator;
  instances: number;
  /** LOGIKAL_MAX_SESSIONS: the total for every instance sharing the database. */
  licences: number;
  activeRuns: number;
  tag: string;
}

/** `migrate`, then `serve` × instances on one fresh PostgreSQL database, each answering /health 200. */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const dbName = `${o.tag.replace(/\W/g, '_')}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = await createPgDatabase(dbName);
  const key = 'lkb_bench_' + randomBytes(18).toString('base64url');
  const dataDirs: string[] = [];
  const procs: Proc[] = [];
  const errors: string[] = [];
  const dispose = async () => {
    await Promise.all(procs.map(stopProc));
    await dropPgDatabase(dbName);
    for (const d of dataDirs) {
      rmSync(d, { recursive: true, force: true });
      tempDirs.delete(d);
    }
  };
  const envFor = (i: number, port: number): NodeJS.ProcessEnv => {
    const dataDir = mkdtempSync(join(tmpdir(), `${o.tag}-${i}-`));
    tempDirs.add(dataDir);
    dataDirs.push(dataDir);
    return {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'warn',
      MIGRATE_ON_START: 'false',
      LOGIKAL_URL: o.emulator.url,
      LOGIKAL_USERNAME: EMU_USER,
      LOGIKAL_PASSWORD: o.emulator.password,
      LOGIKAL_MAX_SESSIONS: String(o.licences),
      MAX_ACTIVE_RUNS: String(o.activeRuns),
      SYNC_CRON: 'off',
      TRACKED_DIRECTORIES: o.emulator.directories.join(','),
      BRIDGE_INSTANCE_ID: `bench-${i}`,
      BRIDGE_BOOTSTRAP_KEY: key,
      BRIDGE_DB_NAME: ODOO_DB,
    };
  };
  try {
    // PostgreSQL does not migrate on start: the deploy step runs once, before any instance.
    await promisify(execFile)(process.execPath, [o.cli, 'migrate'], { env: envFor(0, 0), cwd: o.root }).catch((err: Error) => {
      throw new SetupError(`migrate failed: ${err.message}`);
    });
    const bridges: Bridge[] = [];
    // One after another: two instances starting at once with one BRIDGE_BOOTSTRAP_KEY can both
    // insert its row, and the loser exits (uq_api_keys_name) — seen by this bench, reported.
    for (let i = 1; i <= o.instances; i++) {
      const port = await freePort();
      const proc = startProc(`bridge ${i}`, o.cli, ['serve'], envFor(i, port), o.root);
      procs.push(proc);
      proc.onLine = (line) => {
        if (/error/i.test(line)) errors.push(`bridge ${i}: ${line}`);
      };
      const b = new Bridge(`http://127.0.0.1:${port}`, key, proc, key);
      await waitUntil(
        '/health answering 200',
        proc,
        60_000,
        async () => (await fetch(`${b.url}/health`, { signal: AbortSignal.timeout(2000) })).status === 200,
      );
      bridges.push(b);
    }
    return { bridges, errors, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

export interface NightlyRun {
  result: NightlyResult;
  /** From the call until the bench saw it finished (polled every 0.2 s). */
  wallSeconds: number;
}

/** The longest wait sync.run_nightly accepts; a longer nightly is then followed with sync.status. */
const MAX_WAIT = 110;

/** sync.run_nightly on `bridge`, followed to its end. */
export async function runNightly(bridge: Bridge, timeoutSeconds: number): Promise<NightlyRun> {
  const t0 = performance.now();
  let r = await bridge.rpc<NightlyResult>('sync.run_nightly', { wait_seconds: MAX_WAIT });
  while (!TERMINAL.has(r.state)) {
    if ((performance.now() - t0) / 1000 > timeoutSeconds) {
      throw new SetupError(`nightly run ${r.run_id} still ${r.state} after ${timeoutSeconds} s${tailOf(bridge.proc)}`);
    }
    await sleep(200);
    r = await bridge.rpc<NightlyResult>('sync.status', { run_id: r.run_id });
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  // sync.status may answer with the run alone; the schedule's last nightly lists its children.
  if (!Array.isArray(r.children)) {
    const schedule = await bridge.rpc<Record<string, unknown>>('sync.schedule', {});
    const last = Object.values(schedule).find(
      (v): v is NightlyResult => !!v && typeof v === 'object' && (v as NightlyResult).run_id === r.run_id,
    );
    if (last) r = last;
  }
  return { result: r, wallSeconds };
}

/** CPU seconds (user + system) a process has used so far, from /proc; undefined off Linux. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th, in 1/100 s.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}
