// The reliability suite's child processes: a real LogiKal emulator and a real bridge, each started
// through the CLI that package.json "bin" names, with what a test does to them (control door,
// JSON-RPC, kill -9, signals, peak RSS). Every child is killed when the test process exits.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEntry, freePort, repoRoot } from '../../bench/bench-processes';
import type { EmulatorStats, FaultOptions, RuntimeOptions } from '../../emulator';
import type { SyncResult } from '../../server/sync/types';

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

/** Children not yet reaped: stopped by their rig and, at the latest, killed when the test process exits. */
const live = new Set<Child>();
process.on('exit', () => {
  for (const c of live) if (c.alive) c.proc.kill('SIGKILL');
});

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
