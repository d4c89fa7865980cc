// npm run bench -- [--scale S] [--sessions N] [--behaviours strict,sibling] [--no-predecessor]
//   --scale       emulator latency relative to the seed's measured LogiKal (default 0.05; 1 = real)
//   --sessions    LOGIKAL_MAX_SESSIONS, the licences the bridge may use (default 8)
//   --behaviours  which LogiKal to sync against: 'strict' (a sibling select answers 409, as observed)
//                 and/or 'sibling' (a session may select a sibling elevation or phase)
//   --no-predecessor  skip the predecessor's algorithm (it takes ~160 s at scale 1)
// Not a test: DOS22309 against the bundled emulator, run as its own process (`logikal-bridge
// emulator`), so the CPU measured here is the bridge's alone; embedded SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../server/config';
import { configureLogging } from '../server/logging';
import { buildServices } from '../server/bootstrap';
import { DEFAULT_LATENCY } from '../emulator';
import type { EmulatorStats } from '../emulator';
import type { SyncResult } from '../server/sync/types';
import {
  cleanup,
  cliEntry,
  freePort,
  installCleanupHandlers,
  repoRoot,
  startProc,
  stopProc,
  waitUntil,
  type Proc,
} from './bench-processes';
import { partsListStages, type StageCpu } from './parts-list-stages';
import { replayPredecessor } from './predecessor-replay';
import { arg } from './bench-args';

const PROJECT = 'DOS22309';
const DIRECTORY = 'Demo Odoo';
const USER = 'odoo';
const PASSWORD = 'bench-password';

type Behaviour = 'strict' | 'sibling';
const LABEL: Record<Behaviour, string> = {
  strict: 'strict LogiKal (409 on a sibling select, as observed)',
  sibling: 'LogiKal allowing sibling selects (emulator --sibling-select)',
};

interface Row {
  label: string;
  seconds: number;
  logins: number;
  cpuPerElevationMs?: number;
  ok: boolean;
}

/** `logikal-bridge emulator` on a free port; its control door gives the stats. */
async function startEmulator(root: string, cli: string, scale: number, sibling: boolean): Promise<{ url: string; proc: Proc }> {
  const args = ['emulator', '--port', String(await freePort()), '--latency-scale', String(scale), '--max-sessions', '64'];
  args.push('--username', USER, '--password', PASSWORD, ...(sibling ? ['--sibling-select'] : []));
  const proc = startProc(sibling ? 'emulator (sibling select)' : 'emulator (strict)', cli, args, { ...process.env }, root);
  let url: string | undefined;
  proc.onLine = (line) => {
    url ??= /LogiKal emulator at (\S+)/.exec(line)?.[1];
  };
  await waitUntil('start-up', proc, 30_000, () => Promise.resolve(url !== undefined));
  return { url: url!, proc };
}

async function control<T>(url: string, method: 'GET' | 'POST', action: string): Promise<T> {
  const res = await fetch(`${url}/__emulator/${action}`, { method });
  return (await res.json()) as T;
}

async function main(): Promise<void> {
  const scale = Number(arg('scale', '0.05'));
  const sessions = Number(arg('sessions', '8'));
  const behaviours = arg('behaviours', 'strict,sibling')
    .split(',')
    .filter((b): b is Behaviour => b === 'strict' || b === 'sibling');
  const withPredecessor = !process.argv.includes('--no-predecessor');
  configureLogging({ level: 'error', production: false });
  installCleanupHandlers();
  const root = repoRoot();
  const cli = cliEntry(root);
  const out = (s = '') => process.stdout.write(s + '\n');
  out(`${PROJECT} force sync — emulator latency ×${scale} (login ${(DEFAULT_LATENCY.login * scale).toFixed(2)} s), ${sessions} licences`);
  out('(LOGIKAL_MAX_SESSIONS), embedded SQLite; the emulator runs in its own process, so CPU is the bridge’s alone');

  let predecessor: Row | undefined;
  const results = new Map<Behaviour, Row[]>();
  let stages: StageCpu | undefined;
  for (const behaviour of behaviours) {
    const emu = await startEmulator(root, cli, scale, behaviour === 'sibling');
    if (withPredecessor && !predecessor) {
      const r = await replayPredecessor({ url: emu.url, username: USER, password: PASSWORD, directory: DIRECTORY, project: PROJECT });
      predecessor = { label: "predecessor's algorithm (replayed)", seconds: r.seconds, logins: r.logins, ok: r.partsLists === 17 };
      // It never logged out: its sessions go, so that they hold no seat of the runs measured next.
      await control(emu.url, 'POST', 'drop-sessions');
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'lkb-bench-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      LOGIKAL_URL: emu.url,
      LOGIKAL_USERNAME: USER,
      LOGIKAL_PASSWORD: PASSWORD,
      LOGIKAL_MAX_SESSIONS: String(sessions),
      LOG_LEVEL: 'error',
      MIGRATE_ON_START: 'true',
    });
    const { services, db } = await buildServices(config);
    const measure = async (label: string, mode: 'force' | 'smart'): Promise<Row> => {
      await control(emu.url, 'POST', 'reset-stats');
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const r: SyncResult = await services.sync.syncProject(mode, { projectId: PROJECT, directoryId: DIRECTORY, waitSeconds: 86_400 });
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const stats = await control<EmulatorStats>(emu.url, 'GET', 'stats');
      const cpu = (c.user + c.system) / 1000 / Math.max(1, r.elevations_total);
      return { label, seconds, logins: stats.logins, cpuPerElevationMs: cpu, ok: r.success && r.elevations_total === 17 };
    };
    const rows = [
      await measure(`force sync, cold (first sync: learns how LogiKal behaves)`, 'force'),
      await measure('force sync, warm (files unchanged)', 'force'),
      await measure('smart re-sync, nothing changed', 'smart'),
    ];
    results.set(behaviour, rows);
    if (behaviour === behaviours[behaviours.length - 1]) stages = await partsListStages(db);
    await services.sync.drain();
    await services.sync.close();
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
    await stopProc(emu.proc);
  }

  const line = (r: Row, indent = '  ') => {
    const vs = predecessor && r !== predecessor ? `${(predecessor.seconds / r.seconds).toFixed(1)}×` : predecessor ? '1.0×' : '–';
    const cpu = r.cpuPerElevationMs === undefined ? '–' : `${r.cpuPerElevationMs.toFixed(1)} ms`;
    out(
      `${(indent + r.label).padEnd(62)} ${r.seconds.toFixed(2).padStart(7)} s ${String(r.logins).padStart(7)} ${cpu.padStart(12)} ${vs.padStart(8)}${r.ok ? '' : '  NOT ALL SYNCED'}`,
    );
  };
  out();
  out(`${''.padEnd(62)} ${'time'.padStart(9)} ${'logins'.padStart(7)} ${'CPU/elev.'.padStart(12)} ${'speed-up'.padStart(8)}`);
  if (predecessor) line(predecessor, '');
  for (const [behaviour, rows] of results) {
    out(LABEL[behaviour]);
    for (const r of rows) line(r);
  }
  out();
  out('targets (issue 11): strict ≥ 4.5× the predecessor at scale 0.05, cold and warm; sibling select ≥ 8× at scale 0.05,');
  out('  and at scale 1 with 8 licences DOS22309 in ≤ 15 s using ≤ 10 logins; bridge CPU per elevation halved');
  if (stages) {
    out();
    out(`bridge CPU per parts list by stage (${stages.files} files, ${stages.averageMB.toFixed(2)} MB on average):`);
    out(`  base64 decode + sha256 (one pass, from the response bytes)   ${stages.decodeAndHash.toFixed(2).padStart(6)} ms`);
    out(`  temp copy for the parser                                      ${stages.tempCopy.toFixed(2).padStart(6)} ms`);
    out(`  quick_check + queries                                         ${stages.quickCheckAndQueries.toFixed(2).padStart(6)} ms`);
    out(`  database write, new file (one transaction)                    ${stages.databaseWrite.toFixed(2).padStart(6)} ms`);
    out(`  database write, file already parsed (not parsed again)        ${stages.identicalFileWrite.toFixed(2).padStart(6)} ms`);
  }
  out(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => void cleanup().then(() => process.exit()));
