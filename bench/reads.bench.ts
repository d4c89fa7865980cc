// npm run bench:reads -- [--db sqlite|postgres|both] [--duration S] [--connections N] [--latency-scale S]
// Not a test: prints read throughput and latency of the Odoo list view read (object.execute_kw
// search_read on logikal.elevation over /jsonrpc), idle and while force syncs run back to back.
// The bridge and the LogiKal emulator run as real child processes (the CLI from package.json "bin");
// autocannon runs here, so the cores are shared as in production.
import autocannon from 'autocannon';
import {
  checkLoadFlags,
  enlargedFixture,
  machineLine,
  mirrorProjects,
  ODOO_DB,
  startBenchBridge,
  startEmulatorProc,
  syncLoop,
  type BridgeContext,
} from './bench-bridge';
import { type BenchProject } from './bench-fixture';
import { SetupError, cleanup, cliEntry, installCleanupHandlers, pgReachable, PG_ADMIN_URL, repoRoot, tailOf } from './bench-processes';
import { arg } from './bench-args';

// ---------------------------------------------------------------------------------------------
// Flags

const DB_CHOICE = arg('db', 'both');
const DURATION = Number(arg('duration', '10'));
const CONNECTIONS = Number(arg('connections', '10'));
const LATENCY_SCALE = Number(arg('latency-scale', '0.05'));
const WARMUP_SECONDS = 2;
const MODEL = 'logikal.elevation';
const FIELDS = ['name', 'width', 'height', 'system_name', 'weight_out', 'parts_count', 'phase_id', 'project_id'];
const LIMIT = 80;

const out = (s = '') => process.stdout.write(s + '\n');

// ---------------------------------------------------------------------------------------------
// The measurement

interface Row {
  db: string;
  scenario: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  rpcErrors: number;
  syncs?: string;
}

function cannon(url: string, body: string, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/jsonrpc`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration,
    timeout: 30,
    // A JSON-RPC error still answers HTTP 200: count it as a mismatch.
    verifyBody: (b) => !b.includes('"error":') || b.includes('"result":'),
  });
}

function toRow(db: string, scenario: string, r: autocannon.Result): Row {
  return {
    db,
    scenario,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    rpcErrors: r.mismatches,
  };
}

function printRow(r: Row): void {
  out(
    `  ${r.scenario.padEnd(20)} ${r.reqPerSec.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   errors ${r.errors}  non-2xx ${r.non2xx}  rpc errors ${r.rpcErrors}${r.syncs ? `   ${r.syncs}` : ''}`,
  );
}

async function benchDatabase(kind: 'sqlite' | 'postgres', ctx: BridgeContext & { projects: BenchProject[] }): Promise<Row[]> {
  const { bridge, label, dispose } = await startBenchBridge(kind, ctx);
  const url = bridge.url;
  const key = bridge.readKey;
  const bridgeProc = bridge.proc;
  try {
    // Mirror every fixture project that has elevations.
    const setupSeconds = await mirrorProjects(bridge, ctx.projects, out);

    // The Odoo client's own login, then the list view's call.
    const uid = await bridge.rpc<number | false>('call', { service: 'common', method: 'login', args: [ODOO_DB, 'odoo', key] });
    if (!uid) throw new SetupError('common.login refused the read key');
    const body = JSON.stringify({
      jsonrpc: '2.0',
      method: 'call',
      id: 1,
      params: {
        service: 'object',
        method: 'execute_kw',
        args: [ODOO_DB, uid, key, MODEL, 'search_read', [[]], { fields: FIELDS, limit: LIMIT }],
      },
    });
    const probe = await fetch(`${url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const probeBody = (await probe.json()) as { result?: unknown[]; error?: { message: string; data?: { message?: string } } };
    if (!Array.isArray(probeBody.result)) {
      throw new SetupError(
        `search_read failed: HTTP ${probe.status} ${probeBody.error?.data?.message ?? probeBody.error?.message ?? ''}${tailOf(bridgeProc)}`,
      );
    }
    const responseBytes = Buffer.byteLength(JSON.stringify(probeBody));
    out(
      `${label}: ${ctx.projects.length} projects mirrored in ${setupSeconds.toFixed(1)} s; search_read returns ${probeBody.result.length} rows (limit ${LIMIT}), ${(responseBytes / 1024).toFixed(1)} KiB`,
    );

    await cannon(url, body, WARMUP_SECONDS); // JIT, connection pools, page cache: not reported

    const rows: Row[] = [];
    const idle = toRow(label, 'idle', await cannon(url, body, DURATION));
    printRow(idle);
    rows.push(idle);

    const loop = syncLoop(bridge, ctx.projects);
    const busyResult = await cannon(url, body, DURATION);
    const syncs = loop.describe();
    const stopped = loop.stop(); // closes the counting window at once
    const busy = toRow(label, 'during force syncs', busyResult);
    busy.syncs = syncs;
    printRow(busy);
    rows.push(busy);
    await stopped;
    return rows;
  } finally {
    await dispose();
  }
}

async function main(): Promise<number> {
  checkLoadFlags({ db: DB_CHOICE, duration: DURATION, connections: CONNECTIONS, latencyScale: LATENCY_SCALE });
  const root = repoRoot();
  const cli = cliEntry(root);
  // The demo fixture alone has fewer elevations than a list-view page: add copies of its projects.
  const fixture = enlargedFixture(root, 'lkb-bench-reads', LIMIT);
  const { projects } = fixture;
  const totalElevations = projects.reduce((n, p) => n + p.elevations, 0);

  out(`Odoo list view read benchmark — ${machineLine(root)}`);
  out(`object.execute_kw search_read ${MODEL} [[]] fields ${FIELDS.join(',')} limit ${LIMIT}, POST /jsonrpc`);
  out(
    `autocannon: ${CONNECTIONS} connections, ${DURATION} s per scenario (after a ${WARMUP_SECONDS} s warm-up); emulator latency x${LATENCY_SCALE}`,
  );
  out(
    `fixture: fixtures/demo.json (${fixture.sourceElevations} elevations)${fixture.copies.length ? ` + copies ${fixture.copies.join(', ')}` : ''}`,
  );
  out(`  ${projects.length} projects with ${totalElevations} elevations (${projects.map((p) => `${p.name} ${p.elevations}`).join(', ')})`);
  if (totalElevations < LIMIT)
    out(`note: the fixture has fewer than ${LIMIT} elevations; every one is mirrored and the read returns all ${totalElevations}`);
  out(
    `bridge: ${cli.slice(root.length + 1)} serve (separate process); force syncs in scenario B cycle through the projects one after another, wait_seconds 0`,
  );
  out();

  const emu = await startEmulatorProc(root, cli, fixture.file, LATENCY_SCALE);
  const ctx = { root, cli, emulatorUrl: emu.url, emuPassword: emu.password, projects, tag: 'lkb-bench-reads' };
  const rows: Row[] = [];
  const skipped: string[] = [];
  let failed = false;
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (DB_CHOICE !== 'both' && DB_CHOICE !== kind) continue;
    if (kind === 'postgres') {
      const why = await pgReachable();
      if (why) {
        const line = `PostgreSQL: skipped — ${PG_ADMIN_URL} unreachable (${why})`;
        out(line);
        skipped.push(line);
        continue;
      }
    }
    try {
      rows.push(...(await benchDatabase(kind, ctx)));
    } catch (err) {
      failed = true;
      process.stderr.write(`${kind}: setup failed: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    out();
  }

  if (rows.length) {
    out('| database | scenario | req/s | p50 ms | p99 ms | errors / non-2xx / rpc errors | force syncs completed |');
    out('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      out(
        `| ${r.db} | ${r.scenario} | ${r.reqPerSec.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} / ${r.non2xx} / ${r.rpcErrors} | ${r.syncs ? /completed (\d+)/.exec(r.syncs)![1] : '–'} |`,
      );
    }
  }
  return failed ? 1 : 0;
}

installCleanupHandlers();
main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (err) => {
    process.stderr.write(
      `bench:reads setup failed: ${err instanceof SetupError ? err.message : err instanceof Error ? err.stack : String(err)}\n`,
    );
    await cleanup();
    process.exit(1);
  });
