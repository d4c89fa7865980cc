// Helpers of bench/reads.bench.ts: the repository and CLI entry, child processes (bridge, emulator),
// temporary directories and PostgreSQL databases, all cleaned up on exit, SIGINT and SIGTERM.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export const PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const PG_BASE_URL = 'postgres://postgres@127.0.0.1:5432';

/** A failure to set the benchmark up: reported by its message alone, without a stack. */
export class SetupError extends Error {}

// ---------------------------------------------------------------------------------------------
// Repository, CLI entry

interface PackageJson {
  name?: string;
  bin?: string | Record<string, string>;
}

const readPackage = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson;

export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && readPackage(pkg).name === 'logikal-bridge') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new SetupError(`package.json of logikal-bridge not found above ${__dirname}`);
    dir = parent;
  }
}

/** The CLI entry as package.json "bin" names it now (its path moves between refactors). */
export function cliEntry(root: string): string {
  const { bin } = readPackage(join(root, 'package.json'));
  const rel = typeof bin === 'string' ? bin : (bin?.['logikal-bridge'] ?? (bin ? Object.values(bin)[0] : undefined));
  if (!rel) throw new SetupError('package.json has no "bin" entry for logikal-bridge');
  const abs = resolve(root, rel);
  if (!existsSync(abs)) throw new SetupError(`CLI entry ${rel} (package.json "bin") does not exist — run npm run build`);
  return abs;
}

export function revision(root: string): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes and clean-up

export interface Proc {
  name: string;
  child: ChildProcess;
  tail: string[];
  exited: Promise<number | null>;
  onLine?: (line: string) => void;
}

const procs = new Set<Proc>();
/** Temporary directories removed by cleanup() (and on exit) unless the caller removed them first. */
export const tempDirs = new Set<string>();
const pgDatabases = new Set<string>();

export function startProc(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Proc {
  const child = spawn(process.execPath, [entry, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc: Proc = {
    name,
    child,
    tail: [],
    exited: new Promise((res) => child.once('exit', (code, signal) => res(code ?? (signal ? 128 : null)))),
  };
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      proc.tail.push(line);
      if (proc.tail.length > 40) proc.tail.shift();
      proc.onLine?.(line);
    }
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  procs.add(proc);
  void proc.exited.then(() => procs.delete(proc));
  return proc;
}

export async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 8000);
  await p.exited;
  clearTimeout(timer);
}

export function tailOf(p: Proc): string {
  return p.tail.length ? `\n  last output of ${p.name}:\n    ${p.tail.slice(-15).join('\n    ')}` : '';
}

export async function pgQuery(sql: string): Promise<void> {
  const { Client } = await import('pg');
  const c = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Undefined if PostgreSQL answers, else why not. */
export async function pgReachable(): Promise<string | undefined> {
  try {
    await pgQuery('SELECT 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message || err.constructor.name : String(err);
  }
}

/** Creates a database that cleanup() drops; returns its URL. */
export async function createPgDatabase(name: string): Promise<string> {
  await pgQuery(`CREATE DATABASE "${name}"`);
  pgDatabases.add(name);
  return `${PG_BASE_URL}/${name}`;
}

export async function dropPgDatabase(name: string): Promise<void> {
  try {
    await pgQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    pgDatabases.delete(name);
  } catch (err) {
    process.stderr.write(`could not drop database ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

let cleaning: Promise<void> | undefined;
/** Stops every child process, drops every database and removes every temporary directory made here. */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...procs].map(stopProc));
    for (const db of [...pgDatabases]) await dropPgDatabase(db);
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    tempDirs.clear();
  })();
  return cleaning;
}

/** SIGINT and SIGTERM clean up before exiting; a bare exit at least kills the children. */
export function installCleanupHandlers(): void {
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted; stopping the bridge and the emulator…\n');
    void cleanup().finally(() => process.exit(130));
  });
  process.once('SIGTERM', () => void cleanup().finally(() => process.exit(143)));
  // Last resort if something exits the process without cleanup(): no orphans.
  process.on('exit', () => {
    for (const p of procs) p.child.kill('SIGKILL');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Ports and waiting

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitUntil(what: string, p: Proc, timeoutMs: number, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new SetupError(`${p.name} exited before ${what}${tailOf(p)}`);
    if (await ready().catch(() => false)) return;
    await sleep(100);
  }
  throw new SetupError(`${p.name}: no ${what} within ${timeoutMs / 1000} s${tailOf(p)}`);
}
