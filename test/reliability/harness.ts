// The reliability suite's rig: a real LogiKal emulator and a real bridge, each its own child process
// started through the CLI that package.json "bin" names, on a fresh database of the kind this test
// process runs on. What a crash, a signal or a hostile caller does can only be seen from outside.
import '../helpers/test-env';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEntry, freePort, repoRoot } from '../../bench/bench-processes';
import { Directory, Elevation, Phase, Project, SyncRun } from '../../entities';
import type { EmulatorStats, FaultOptions, RuntimeOptions } from '../../emulator';
import { openDatabase } from '../../server/db/database';
import type { Db } from '../../server/db/db';
import type { SyncResult } from '../../server/sync/types';
import { configFor, createTestDatabase, type TestDatabase } from '../helpers/test-env';

export const ROOT = repoRoot();
export const CLI = cliEntry(ROOT);
export const EMU_PREFIX = '/MbioeService.svc/api/v3';
export const EMU_USER = 'odoo';
export const DEMO = 'Demo Odoo';
export const PARTS_LIST_CALL = 'GET /elevations/selected/parts-list';
export const TERMINAL_STATES = ['succeeded', 'partial', 'failed', 'interrupted'];
/** States in which a run holds its target; nothing may be left in them once the bridge is idle or dead. */
export const ACTIVE_STATES = ['queued', 'running'];

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; fails the test (not hangs) after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      assert.fail(
        `${what}: not within ${timeoutMs} ms${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
      );
    await sleep(50);
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A CLI child whose output is kept (last lines) for failure messages. */
export class Child {
  readonly tail: string[] = [];
  readonly exited: Promise<Exit>;
  private lineListeners: Array<(line: string) => void> = [];

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((res) => proc.once('exit', (code, signal) => res({ code, signal })));
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        this.tail.push(line);
        if (this.tail.length > 60) this.tail.shift();
        for (const l of this.lineListeners) l(line);
      }
    };
    proc.stdout?.on('data', take);
    proc.stderr?.on('data', take);
  }

  static spawn(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
    return new Child(name, spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  onLine(fn: (line: string) => void): void {
    this.lineListeners.push(fn);
  }

  output(): string {
    return this.tail.length ? `\n  last output of ${this.name}:\n    ${this.tail.slice(-20).join('\n    ')}` : '';
  }

  /** Peak resident set size in KiB (VmHWM) while the process lives; undefined once it is gone. */
  peakRssKiB(): number | undefined {
    try {
      const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  /** kill -9: no handler runs, nothing is cleaned up. */
  async kill9(): Promise<Exit> {
    if (this.alive) this.proc.kill('SIGKILL');
    return this.exited;
  }

  /** Sends `signal` and measures how long the process takes to exit; SIGKILL after `killAfterMs` so a test never hangs. */
  async signal(signal: NodeJS.Signals, killAfterMs = 60_000): Promise<Exit & { ms: number; killed: boolean }> {
    const t0 = Date.now();
    let killed = false;
    if (!this.alive) return { ...(await this.exited), ms: 0, killed };
    this.proc.kill(signal);
    const timer = setTimeout(() => {
      killed = true;
      this.proc.kill('SIGKILL');
    }, killAfterMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return { ...exit, ms: Date.now() - t0, killed };
  }

  /** SIGTERM, then SIGKILL if it lingers: for clean-up, where the exit itself is not under test. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    await this.signal('SIGTERM', 8000);
  }
}

// ---------------------------------------------------------------------------------------------
// The emulator

export interface EmulatorStart {
  /** Default 0.01: a force sync of DOS22309 takes well under a second. */
  latencyScale?: number;
  maxSessions?: number;
  fixture?: string;
  /** Extra CLI arguments (knobs another engineer adds to `logikal-bridge emulator`). */
  args?: string[];
}

export class EmulatorProcess {
  private constructor(
    readonly child: Child,
    /** The API base URL (LOGIKAL_URL). */
    readonly url: string,
    readonly password: string,
  ) {}

  static async start(o: EmulatorStart = {}): Promise<EmulatorProcess> {
    const password = 'emu-' + randomBytes(8).toString('hex');
    const args = [
      'emulator',
      '--fixture',
      o.fixture ?? join(ROOT, 'fixtures', 'demo.json'),
      '--port',
      '0',
      '--latency-scale',
      String(o.latencyScale ?? 0.01),
      '--prefix',
      EMU_PREFIX,
      '--username',
      EMU_USER,
      '--password',
      password,
      ...(o.maxSessions ? ['--max-sessions', String(o.maxSessions)] : []),
      ...(o.args ?? []),
    ];
    const child = Child.spawn('emulator', args, { ...process.env });
    live.add(child);
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`emulator: no ready line within 30 s${child.output()}`)), 30_000);
      child.onLine((line) => {
        const m = /LogiKal emulator at (\S+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
      void child.exited.then((e) => {
        clearTimeout(timer);
        rej(new Error(`emulator exited (${e.code ?? e.signal}) before it was ready${child.output()}`));
      });
    });
    return new EmulatorProcess(child, url, password);
  }

  private async control<T>(method: 'GET' | 'POST', action: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}/__emulator/${action}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator control ${method} ${action}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  stats(): Promise<EmulatorStats> {
    return this.control('GET', 'stats');
  }
  resetStats(): Promise<EmulatorStats> {
    return this.control('POST', 'reset-stats');
  }
  /** Replaces the fault plan (an empty object = no faults). */
  setFaults(faults: FaultOptions | Record<string, unknown>): Promise<FaultOptions> {
    return this.control('POST', 'faults', faults);
  }
  configure(options: RuntimeOptions | Record<string, unknown>): Promise<RuntimeOptions> {
    return this.control('POST', 'config', options);
  }
  touchElevation(id: string): Promise<unknown> {
    return this.control('POST', 'touch-elevation', { id });
  }
  dropSessions(): Promise<{ dropped: number }> {
    return this.control('POST', 'drop-sessions', {});
  }
  /** Polls until the emulator has received at least `n` parts-list downloads since the last reset. */
  waitForPartsListCalls(n: number, timeoutMs = 60_000): Promise<number> {
    return eventually(`${n} parts-list downloads at the emulator`, timeoutMs, async () => {
      const calls = await this.partsListCalls();
      return calls >= n ? calls : undefined;
    });
  }

  /** Parts-list downloads the emulator received since the last reset. */
  async partsListCalls(): Promise<number> {
    return (await this.stats()).callsByEndpoint[PARTS_LIST_CALL] ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The bridge

export class RpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly detail: string,
    readonly data: unknown,
  ) {
    super(`${method}: ${code} ${detail}`);
  }
}

export interface RpcReply<T = unknown> {
  status: number;
  result?: T;
  error?: { code: number; message: string; data?: { message?: string; name?: string } & Record<string, unknown> };
}

let rpcId = 1;

export class BridgeProcess {
  private constructor(
    readonly child: Child,
    readonly url: string,
    readonly key: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Starts `logikal-bridge serve` with `env` (PORT chosen here) and waits for /health 200. */
  static async start(env: NodeJS.ProcessEnv, key: string): Promise<BridgeProcess> {
    const port = await freePort();
    const full = { ...env, PORT: String(port), HOST: '127.0.0.1' };
    const child = Child.spawn('bridge', ['serve'], full);
    live.add(child);
    const bridge = new BridgeProcess(child, `http://127.0.0.1:${port}`, key, full);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!child.alive) throw new Error(`bridge exited (${child.proc.exitCode ?? child.proc.signalCode}) before /health${child.output()}`);
      const status = await bridge.health().catch(() => 0);
      if (status === 200) return bridge;
      if (Date.now() > deadline) throw new Error(`bridge: /health not 200 within 60 s${child.output()}`);
      await sleep(100);
    }
  }

  async health(): Promise<number> {
    return (await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) })).status;
  }

  /** A JSON-RPC call as the bootstrap key (or `key`); the whole reply, errors included. */
  async call<T = unknown>(method: string, params: unknown, opts: { key?: string | null; timeoutMs?: number } = {}): Promise<RpcReply<T>> {
    const key = opts.key === undefined ? this.key : opts.key;
    const res = await fetch(`${this.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: rpcId++ }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 120_000),
    });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as Omit<RpcReply<T>, 'status'>;
    return { status: res.status, ...body };
  }

  /** A JSON-RPC call that must succeed. */
  async rpc<T = unknown>(method: string, params: unknown, opts: { key?: string | null; timeoutMs?: number } = {}): Promise<T> {
    const r = await this.call<T>(method, params, opts);
    if (r.error) throw new RpcError(method, r.error.code, r.error.data?.message ?? r.error.message, r.error.data);
    return r.result as T;
  }

  /** sync.force_project of a project in "Demo Odoo"; waits up to `waitSeconds` for the run's end. */
  forceSync(projectId: string, waitSeconds = 60, extra: Record<string, unknown> = {}): Promise<SyncResult> {
    return this.rpc<SyncResult>(
      'sync.force_project',
      { project_id: projectId, directory_id: DEMO, wait_seconds: waitSeconds, ...extra },
      { timeoutMs: (waitSeconds + 30) * 1000 },
    );
  }

  /** Polls sync.status until the run is terminal. */
  waitRun(runId: number, timeoutMs = 60_000): Promise<SyncResult> {
    return eventually(`run ${runId} terminal`, timeoutMs, async () => {
      const r = await this.rpc<SyncResult>('sync.status', { run_id: runId });
      return TERMINAL_STATES.includes(r.state) ? r : undefined;
    });
  }

  peakRssKiB(): number | undefined {
    return this.child.peakRssKiB();
  }
}

// ---------------------------------------------------------------------------------------------
// The rig: emulator + bridge + database, always cleaned up

/** Children not yet reaped: killed by closeAll() and, at the latest, when the test process exits. */
const live = new Set<Child>();
process.on('exit', () => {
  for (const c of live) if (c.alive) c.proc.kill('SIGKILL');
});

export interface RigOptions {
  emulator?: EmulatorStart;
  /** Extra bridge environment (e.g. LOGIKAL_MAX_SESSIONS, SHUTDOWN_GRACE_SECONDS). */
  env?: Record<string, string>;
  /** Point the bridge somewhere other than the rig's emulator (e.g. a counting TCP server). */
  logikalUrl?: string;
  /** Do not start an emulator at all (LogiKal down from the start); then logikalUrl is required. */
  noEmulator?: boolean;
}

export class Rig {
  bridge!: BridgeProcess;
  private constructor(
    readonly db: TestDatabase,
    readonly emulator: EmulatorProcess | undefined,
    readonly key: string,
    private readonly bridgeEnv: NodeJS.ProcessEnv,
  ) {}

  static async start(o: RigOptions = {}): Promise<Rig> {
    const db = await createTestDatabase();
    let emulator: EmulatorProcess | undefined;
    try {
      emulator = o.noEmulator ? undefined : await EmulatorProcess.start(o.emulator);
      const key = 'lkb_rel_' + randomBytes(18).toString('base64url');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...db.env,
        LOG_LEVEL: 'warn',
        MIGRATE_ON_START: 'true',
        LOGIKAL_URL: o.logikalUrl ?? emulator?.url,
        LOGIKAL_USERNAME: EMU_USER,
        LOGIKAL_PASSWORD: emulator?.password ?? 'no-emulator-password',
        BRIDGE_BOOTSTRAP_KEY: key,
        ...o.env,
      };
      if (!db.env.DATABASE_URL) delete env.DATABASE_URL;
      const rig = new Rig(db, emulator, key, env);
      rigs.add(rig);
      rig.bridge = await BridgeProcess.start(env, key);
      return rig;
    } catch (err) {
      if (emulator) await emulator.child.stop();
      await db.drop().catch(() => undefined);
      throw err;
    }
  }

  /** The rig's emulator; fails the test if it was started without one. */
  get emu(): EmulatorProcess {
    assert.ok(this.emulator, 'this rig has no emulator');
    return this.emulator;
  }

  /** A new bridge process on the same database and environment (after a crash or a stop). */
  async restartBridge(env: Record<string, string | undefined> = {}): Promise<BridgeProcess> {
    assert.ok(!this.bridge.child.alive, 'restartBridge: the previous bridge is still running');
    const next = { ...this.bridgeEnv, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete next[k];
    this.bridge = await BridgeProcess.start(next, this.key);
    return this.bridge;
  }

  /** The rig's database opened from this process, for reads the RPC surface does not offer. */
  async openDb(): Promise<Db> {
    return openDatabase(configFor(this.db));
  }

  /** Runs `fn` against a freshly opened database and closes it again. */
  async withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.openDb();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  /** Stops both children and drops the database; safe to call twice. */
  async close(): Promise<void> {
    rigs.delete(this);
    await Promise.all([this.bridge?.child.stop(), this.emulator?.child.stop()]);
    await this.db.drop().catch(() => undefined);
  }
}

const rigs = new Set<Rig>();

/** For a file's `after`: closes every rig still open (a test that failed half-way included). */
export async function closeAll(): Promise<void> {
  await Promise.all([...rigs].map((r) => r.close()));
}

// ---------------------------------------------------------------------------------------------
// The invariants every reliability test ends on

export interface RunRow {
  id: number;
  state: string;
  kind: string;
  target: string;
  message: string | null;
}

export function runsOf(db: Db): Promise<RunRow[]> {
  return db.reader
    .getRepository(SyncRun)
    .find({ order: { id: 'ASC' } })
    .then((rows) => rows.map(({ id, state, kind, target, message }) => ({ id, state, kind, target, message })));
}

/**
 * Every mirrored row by a stable key ("directory Demo Odoo", "project <guid>", "phase <project>/<guid>",
 * "elevation <phase>/<guid>"): whether it is active and, for elevations, the hash of its stored parts list.
 */
export type MirrorSnapshot = Map<string, { name: string; active: boolean; partsListSha256: string | null }>;

export async function mirrorSnapshot(db: Db): Promise<MirrorSnapshot> {
  const r = db.reader;
  const snap: MirrorSnapshot = new Map();
  for (const d of await r.getRepository(Directory).find())
    snap.set(`directory ${d.path}`, { name: d.path, active: d.active, partsListSha256: null });
  for (const p of await r.getRepository(Project).find())
    snap.set(`project ${p.logikalId}`, { name: p.name, active: p.active, partsListSha256: null });
  for (const p of await r.getRepository(Phase).find())
    snap.set(`phase ${p.projectId}/${p.logikalId}`, { name: p.name, active: p.active, partsListSha256: null });
  for (const e of await r.getRepository(Elevation).find())
    snap.set(`elevation ${e.phaseId}/${e.logikalId}`, { name: e.name, active: e.active, partsListSha256: e.partsListSha256 });
  return snap;
}

/** How many rows of a kind ('elevation', 'project', …) the snapshot holds active. */
export function activeCount(snap: MirrorSnapshot, kind: string): number {
  return [...snap].filter(([k, v]) => k.startsWith(`${kind} `) && v.active).length;
}

/** Nothing stored before is lost: every row active before still is, every stored parts list still there. */
export function assertNothingLost(before: MirrorSnapshot, after: MirrorSnapshot): void {
  for (const [key, b] of before) {
    const a = after.get(key);
    assert.ok(a, `${key} (${b.name}) still stored`);
    if (b.active) assert.equal(a.active, true, `${key} (${b.name}) still active`);
    if (b.partsListSha256) assert.ok(a.partsListSha256, `${key} (${b.name}) still has its parts list`);
  }
}

/** No LogiKal session left open: every login logged out (polled: a run's last logout may trail its answer). */
export async function assertSessionsClosed(emulator: EmulatorProcess, timeoutMs = 15_000): Promise<EmulatorStats> {
  let last: EmulatorStats | undefined;
  try {
    return await eventually('every LogiKal session logged out', timeoutMs, async () => {
      last = await emulator.stats();
      return last.openSessions === 0 && last.logins === last.logouts ? last : undefined;
    });
  } catch (err) {
    if (last) assert.fail(`sessions: logins ${last.logins}, logouts ${last.logouts}, open ${last.openSessions}`);
    throw err;
  }
}

/** No run left queued or running in the database. */
export async function assertNoActiveRun(db: Db): Promise<RunRow[]> {
  const runs = await runsOf(db);
  const active = runs.filter((r) => ACTIVE_STATES.includes(r.state));
  assert.deepEqual(active, [], 'no run left queued or running');
  return runs;
}

/**
 * The invariant every reliability test ends on: no run left running, no session open at the
 * emulator, nothing stored before lost. `before` is a snapshot taken before the disturbance.
 */
export async function assertInvariants(rig: Rig, before?: MirrorSnapshot): Promise<void> {
  // A killed emulator has no sessions to count (the test replaced it or checks its own stand-in).
  if (rig.emulator?.child.alive) await assertSessionsClosed(rig.emulator);
  await rig.withDb(async (db) => {
    await assertNoActiveRun(db);
    if (before) assertNothingLost(before, await mirrorSnapshot(db));
  });
}
