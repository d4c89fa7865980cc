// npm run bench:nightly -- [--projects 50] [--scale 0.05] [--licences 4,8] [--instances 1,2] [--seed 1] [--warm]
//   --projects   projects the emulator generates (~7 elevations each), all in TRACKED_DIRECTORIES
//   --scale      emulator latency relative to the seed's measured LogiKal (default 0.05)
//   --licences   LOGIKAL_MAX_SESSIONS, the total across instances, and the emulator's licence cap
//   --instances  bridge processes sharing one PostgreSQL database
//   --seed       seed of the generated projects
//   --warm       a second nightly over the unchanged mirror after the cold one
// Not a test. For each licences × instances: a fresh PostgreSQL database (migrate, then serve ×
// instances, SYNC_CRON=off), a fresh strict emulator (its own process, every parts list generated
// before it listens), then one sync.run_nightly on instance 1 over an empty mirror.
//
// The parallel limit (bench/nightly-floor.ts) is computed, not measured: the LogiKal time the
// nightly cannot avoid, from the emulator's latency model at this scale, divided by the licences
// (or the longest single chain, if longer). On a strict LogiKal every parts list needs a session of
// its own: login, a select per directory level, project, phase and elevation selects, the download
// (base + per MB of that elevation's generated file) and a logout; each phase's elevation listing
// and thumbnails, each project's phase listing and each directory's project listing ride on one of
// those sessions. The bridge's own CPU, the database and the network count as zero, so "every
// licence busy" means busy with LogiKal calls only. Licence utilisation is measured twice: held —
// the emulator's session-seconds (each session's open time) over licences × wall time —, and in
// LogiKal calls — the modelled latency of every call it answered over the same.
import { DEFAULT_LATENCY, type EmulatorStats } from '../emulator';
import { loadFixture } from '../emulator/fixture';
import { addGeneratedProjects } from '../emulator/generated-projects';
import { arg } from './bench-args';
import { machineLine, type Bridge } from './bench-bridge';
import type { SyncResult } from '../server/sync/types';
import { cpus, loadavg } from 'node:os';
import { cleanup, cliEntry, installCleanupHandlers, pgReachable, repoRoot, SetupError, stopProc } from './bench-processes';
import {
  cpuSeconds,
  emulatorControl,
  emulatorStats,
  runNightly,
  startCluster,
  startGeneratedEmulator,
  type NightlyRun,
} from './nightly-cluster';
import { nightlyFloor, parallelLimit, partsListSizes, type NightlyFloor } from './nightly-floor';
import { join } from 'node:path';

const out = (s = '') => process.stdout.write(s + '\n');
const list = (name: string, def: string) => arg(name, def).split(',').map(Number);

interface Flags {
  projects: number;
  scale: number;
  licences: number[];
  instances: number[];
  seed: number;
  warm: boolean;
}

function flags(): Flags {
  const f = {
    projects: Number(arg('projects', '50')),
    scale: Number(arg('scale', '0.05')),
    licences: list('licences', '4,8'),
    instances: list('instances', '1,2'),
    seed: Number(arg('seed', '1')),
    warm: process.argv.includes('--warm'),
  };
  const positive = (n: number) => Number.isInteger(n) && n > 0;
  if (!positive(f.projects) || !(f.scale > 0) || !Number.isInteger(f.seed) || f.seed < 0) {
    throw new SetupError('--projects must be a positive integer, --scale > 0, --seed a non-negative integer');
  }
  if (!f.licences.every((n) => positive(n) && n <= 64) || !f.instances.every((n) => positive(n) && n <= 8)) {
    throw new SetupError('--licences must list integers 1–64, --instances integers 1–8');
  }
  return f;
}

interface Measured {
  run: NightlyRun;
  stats: EmulatorStats;
  limit: number;
  licences: number;
  /** CPU seconds during the nightly: each bridge instance, the emulator. */
  cpu: { bridges: Array<number | undefined>; emulator: number | undefined };
  /** Why the children that did not succeed ended as they did (sync.status of each). */
  notSucceeded: string[];
  /** Seconds from the nightly's start until every first attempt had ended (retries wait NIGHTLY_RETRY_SECONDS after). */
  firstAttemptsEnd?: number;
  /** Error lines the bridges logged during the nightly. */
  bridgeErrors: string[];
}

const secs = (n: number | undefined) => (n === undefined ? '?' : n.toFixed(1));

/** One nightly's figures, printed as a block. */
function report(label: string, m: Measured): void {
  const { run, stats, licences } = m;
  const { result: r, wallSeconds } = run;
  const pct = (seconds: number) => `${((100 * seconds) / (licences * wallSeconds)).toFixed(0)} %`;
  const again = Object.values(stats.partsListDownloadsByElevation).filter((d) => d.downloads > 1).length;
  const children = new Map<string, number>();
  for (const c of r.children ?? []) children.set(c.state, (children.get(c.state) ?? 0) + 1);
  const retried = (r.children ?? []).filter((c) => c.attempt > 1).length;
  const states = [...children].map(([s, n]) => `${n} ${s}`).join(', ') || 'none listed';
  out(`  ${label}`);
  out(
    `    wall ${wallSeconds.toFixed(1)} s (run ${secs(r.duration_seconds)} s), limit ${m.limit.toFixed(1)} s, ratio ${(wallSeconds / m.limit).toFixed(2)}×   nightly ${r.state}: ${r.message}`,
  );
  out(
    `    logins ${stats.logins} (logouts ${stats.logouts}), licence refusals ${stats.refusedLogins}, emulator peak sessions ${stats.peakSessions} of ${licences}, open at the end ${stats.openSessions}`,
  );
  out(
    `    parts lists downloaded ${stats.partsListDownloads} for ${stats.partsListElevations} elevations (${again ? `${again} more than once` : 'each once'}); ` +
      `licences held ${pct(stats.sessionSeconds)} of the time (${stats.sessionSeconds.toFixed(1)} session-s), ` +
      `in LogiKal calls ${pct(stats.latencySeconds)} (${stats.latencySeconds.toFixed(1)} s)`,
  );
  out(
    `    children: ${states}${retried ? `, ${retried} retries` : ''}; projects ${r.projects_synced ?? '?'}/${r.projects_total ?? '?'} synced, ${r.projects_failed ?? '?'} failed; elevations ${r.elevations_synced}/${r.elevations_total}`,
  );
  for (const why of m.notSucceeded) out(`      ${why}`);
  if (retried && m.firstAttemptsEnd !== undefined) {
    out(
      `      first attempts all ended at ${m.firstAttemptsEnd.toFixed(1)} s (${(m.firstAttemptsEnd / m.limit).toFixed(2)}× the limit); the retries came after`,
    );
  }
  const idle = Object.entries(stats.idleSecondsAfter).sort((a, b) => b[1] - a[1]);
  const idleTotal = idle.reduce((n, [, v]) => n + v, 0);
  out(
    `    seats held idle ${idleTotal.toFixed(1)} session-s, after: ${idle
      .slice(0, 4)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(', ')}`,
  );
  for (const line of m.bridgeErrors.slice(0, 3)) out(`      ${logGist(line)}`);
  const bridges = m.cpu.bridges.map(secs).join(' + ');
  out(
    `    CPU: bridge${m.cpu.bridges.length > 1 ? 's' : ''} ${bridges} s, emulator ${secs(m.cpu.emulator)} s (${cpus().length} cores, load average ${loadavg()[0].toFixed(1)})`,
  );
}

/** Each child's own record: why those that did not succeed ended so, and when the first attempts were all over. */
async function childRuns(bridge: Bridge, run: NightlyRun): Promise<{ notSucceeded: string[]; firstAttemptsEnd?: number }> {
  const notSucceeded: string[] = [];
  const start = Date.parse(run.result.started_at);
  let end = -Infinity;
  for (const c of run.result.children ?? []) {
    const s = await bridge.rpc<SyncResult>('sync.status', { run_id: c.run_id }).catch((err: Error) => ({
      message: err.message,
      failures: [],
      finished_at: null,
    }));
    if (c.attempt === 1 && s.finished_at) end = Math.max(end, Date.parse(s.finished_at));
    if (c.state === 'succeeded') continue;
    const first = s.failures[0] ? ` (${s.failures[0].elevation}: ${s.failures[0].reason})` : '';
    notSucceeded.push(`run ${c.run_id} ${c.project_id} attempt ${c.attempt} ${c.state}: ${s.message}${first}`);
  }
  return { notSucceeded, firstAttemptsEnd: Number.isFinite(end) && start ? (end - start) / 1000 : undefined };
}

/** A bridge log line cut to its message and the bridge's own stack frames (the JSON after the text holds them). */
function logGist(line: string): string {
  const json = line.indexOf('{');
  try {
    const { error } = JSON.parse(line.slice(json)) as { error?: { message?: string; stack?: string } };
    const frames = (error?.stack ?? '')
      .split('\n')
      .filter((f) => f.includes(' at ') && !f.includes('node_modules') && !f.includes('node:'));
    return `${line.slice(0, json).trim()} ${error?.message ?? ''}${frames
      .slice(0, 4)
      .map((f) => `\n        ${f.trim()}`)
      .join('')}`;
  } catch {
    return line.slice(0, 400);
  }
}

async function cell(root: string, cli: string, f: Flags, licences: number, instances: number, floor: NightlyFloor): Promise<void> {
  const emulator = await startGeneratedEmulator(root, cli, { projects: f.projects, seed: f.seed, scale: f.scale, licences });
  const cluster = await startCluster({ root, cli, emulator, instances, licences, activeRuns: licences, tag: 'lkb-bench-nightly' });
  const cpuNow = () => ({
    bridges: cluster.bridges.map((b) => cpuSeconds(b.proc.child.pid)),
    emulator: cpuSeconds(emulator.proc.child.pid),
  });
  const minus = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a - b);
  try {
    out(`${licences} licences, ${instances} instance${instances > 1 ? 's' : ''}:`);
    const nightlies: Array<['cold' | 'warm', number]> = [['cold', floor.coldWork]];
    if (f.warm) nightlies.push(['warm', floor.warmWork]);
    for (const [kind, work] of nightlies) {
      await emulatorControl(emulator.url, 'POST', 'reset-stats');
      cluster.errors.length = 0;
      const cpu0 = cpuNow();
      let run: NightlyRun;
      try {
        run = await runNightly(cluster.bridges[0], 1800);
      } catch (err) {
        if (err instanceof SetupError) throw err;
        out(`  ${kind} nightly refused: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      const stats = await emulatorStats(emulator.url);
      const cpu1 = cpuNow();
      const cpu = { bridges: cpu1.bridges.map((c, i) => minus(c, cpu0.bridges[i])), emulator: minus(cpu1.emulator, cpu0.emulator) };
      const limit = parallelLimit(work, floor.criticalPath, licences);
      const label = `${kind} nightly (${kind === 'cold' ? 'empty mirror' : 'nothing changed'})`;
      const children = await childRuns(cluster.bridges[0], run);
      report(label, { run, stats, limit, licences, cpu, ...children, bridgeErrors: cluster.errors.splice(0) });
    }
  } finally {
    await cluster.dispose();
    await stopProc(emulator.proc);
  }
}

async function main(): Promise<void> {
  const f = flags();
  installCleanupHandlers();
  const root = repoRoot();
  const cli = cliEntry(root);
  const pg = await pgReachable();
  if (pg) throw new SetupError(`PostgreSQL at 127.0.0.1:5432 does not answer (${pg}); the bench needs it`);
  // The same generator the emulator runs: the bench knows the project center without asking it.
  const generated = addGeneratedProjects(loadFixture(join(root, 'fixtures', 'demo.json')), { count: f.projects, seed: f.seed });
  const floor = nightlyFloor(generated.fixture, generated.directories, partsListSizes(generated.fixture, generated.directories), f.scale);
  out(
    `nightly over ${floor.projects} generated projects (${floor.phases} phases, ${floor.elevations} elevations, parts lists ${floor.meanPartsListMB.toFixed(2)} MB on average) in ${generated.directories.join(', ')}`,
  );
  out(
    `strict emulator at latency ×${f.scale} (login ${(DEFAULT_LATENCY.login * f.scale).toFixed(3)} s), PostgreSQL, SYNC_CRON=off; ${machineLine(root)}`,
  );
  out(
    `unavoidable LogiKal time: cold ${floor.coldWork.toFixed(1)} session-s, warm ${floor.warmWork.toFixed(1)} session-s; longest chain ${floor.criticalPath.toFixed(2)} s; limit = max(time / licences, chain)`,
  );
  out(
    'target (issue 13): cold nightly within 1.5× its limit, each parts list downloaded once; measured before: 79.8 s, 462 logins at 8 licences, 1 instance',
  );
  out();
  for (const licences of f.licences) for (const instances of f.instances) await cell(root, cli, f, licences, instances, floor);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof SetupError ? err.message : err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => void cleanup().then(() => process.exit()));
