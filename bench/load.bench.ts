// npm run bench:load -- [--db sqlite|postgres|both] [--duration S] [--connections N] [--latency-scale S]
// Not a test: Odoo's read traffic from many connections at once — a list view (search_read and its
// search_count), a form view (read of one elevation with its glass lines) and many2one autocomplete
// (name_search), in turn on every connection — idle and while force syncs run back to back. Prints
// req/s, p50/p99 and the bridge's peak resident memory (VmHWM of the bridge process).
// The bridge and the LogiKal emulator are real child processes; autocannon runs here.
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
  type Bridge,
  type BridgeContext,
} from './bench-bridge';
import { type BenchProject } from './bench-fixture';
import { SetupError, cleanup, cliEntry, installCleanupHandlers, pgReachable, PG_ADMIN_URL, repoRoot, tailOf } from './bench-processes';
import { arg } from './bench-args';

const DB_CHOICE = arg('db', 'both');
const DURATION = Number(arg('duration', '15'));
const CONNECTIONS = Number(arg('connections', '50'));
const LATENCY_SCALE = Number(arg('latency-scale', '0.05'));
const WARMUP_SECONDS = 2;
const MODEL = 'logikal.elevation';
const LIST_FIELDS = ['name', 'width', 'height', 'system_name', 'weight_out', 'parts_count', 'phase_id', 'project_id'];
const FORM_FIELDS = [...LIST_FIELDS, 'amount', 'auto_description', 'system_code', 'color_base_long', 'parse_status', 'glass_ids'];
const LIMIT = 80;

const out = (s = '') => process.stdout.write(s + '\n');

interface Row {
  db: string;
  scenario: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rpcErrors: number;
  peakRssMiB?: number;
  syncs?: string;
}

/** The Odoo mix, one execute_kw each, sent in turn by every connection; the form view reads a random mirrored elevation. */
function odooMix(uid: number, key: string, elevationIds: number[]): autocannon.Request[] {
  const call = (method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    JSON.stringify({
      jsonrpc: '2.0',
      method: 'call',
      id: 1,
      params: { service: 'object', method: 'execute_kw', args: [ODOO_DB, uid, key, MODEL, method, args, kwargs] },
    });
  const post = (body: string): autocannon.Request => ({
    method: 'POST',
    path: '/jsonrpc',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const pick = () => elevationIds[Math.floor(Math.random() * elevationIds.length)];
  return [
    post(call('search_read', [[]], { fields: LIST_FIELDS, limit: LIMIT })),
    post(call('search_count', [[]])),
    { ...post(''), setupRequest: (req) => ({ ...req, body: call('read', [[pick()]], { fields: FORM_FIELDS }) }) },
    post(call('name_search', ['P1'], { limit: 8 })),
  ];
}

function cannon(url: string, requests: autocannon.Request[], duration: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    requests,
    connections: CONNECTIONS,
    duration,
    timeout: 30,
    // A JSON-RPC error still answers HTTP 200: count it as a mismatch.
    verifyBody: (b) => !b.includes('"error":') || b.includes('"result":'),
  });
}

function toRow(db: string, scenario: string, r: autocannon.Result, bridge: Bridge): Row {
  return {
    db,
    scenario,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    rpcErrors: r.mismatches,
    peakRssMiB: bridge.peakRssMiB(),
  };
}

const mib = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(0)} MiB`);

function printRow(r: Row): void {
  out(
    `  ${r.scenario.padEnd(20)} ${r.reqPerSec.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms   bridge peak RSS ${mib(r.peakRssMiB)}   errors ${r.errors}  non-2xx ${r.non2xx}  rpc errors ${r.rpcErrors}${r.syncs ? `   ${r.syncs}` : ''}`,
  );
}

async function benchDatabase(kind: 'sqlite' | 'postgres', ctx: BridgeContext & { projects: BenchProject[] }): Promise<Row[]> {
  const { bridge, label, dispose } = await startBenchBridge(kind, ctx);
  try {
    const setupSeconds = await mirrorProjects(bridge, ctx.projects, out);
    const uid = await bridge.rpc<number | false>('call', { service: 'common', method: 'login', args: [ODOO_DB, 'odoo', bridge.readKey] });
    if (!uid) throw new SetupError('common.login refused the bootstrap key');
    const ids = await bridge.rpc<number[]>('call', {
      service: 'object',
      method: 'execute_kw',
      args: [ODOO_DB, uid, bridge.readKey, MODEL, 'search', [[]], {}],
    });
    if (!ids.length) throw new SetupError(`no elevation mirrored${tailOf(bridge.proc)}`);
    const mix = odooMix(uid, bridge.readKey, ids);
    out(
      `${label}: ${ctx.projects.length} projects (${ids.length} elevations) mirrored in ${setupSeconds.toFixed(1)} s; bridge peak RSS so far ${mib(bridge.peakRssMiB())}`,
    );

    await cannon(bridge.url, mix, WARMUP_SECONDS); // JIT, connection pools, page cache: not reported
    const rows: Row[] = [];
    const idle = toRow(label, 'idle', await cannon(bridge.url, mix, DURATION), bridge);
    printRow(idle);
    rows.push(idle);

    const loop = syncLoop(bridge, ctx.projects);
    const busyResult = await cannon(bridge.url, mix, DURATION);
    const syncs = loop.describe();
    const stopped = loop.stop(); // closes the counting window at once
    const busy = { ...toRow(label, 'during force syncs', busyResult, bridge), syncs };
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
  // The same enlarged fixture as bench:reads: the list view returns a full page.
  const fixture = enlargedFixture(root, 'lkb-bench-load', LIMIT);
  const { projects } = fixture;

  out(`Odoo read load during force syncs — ${machineLine(root)}`);
  out(
    `mix per connection, in turn: ${MODEL} search_read [[]] limit ${LIMIT} · search_count [[]] · read [id] with glass_ids · name_search "P1" limit 8 (execute_kw, POST /jsonrpc)`,
  );
  out(
    `autocannon: ${CONNECTIONS} connections, ${DURATION} s per scenario (after a ${WARMUP_SECONDS} s warm-up); emulator latency x${LATENCY_SCALE}`,
  );
  out(
    `fixture: ${projects.length} projects with ${projects.reduce((n, p) => n + p.elevations, 0)} elevations; force syncs cycle through them`,
  );
  out('peak RSS: VmHWM of the bridge process, start to the end of the scenario (initial mirror included)');
  out();

  const emu = await startEmulatorProc(root, cli, fixture.file, LATENCY_SCALE);
  const ctx = { root, cli, emulatorUrl: emu.url, emuPassword: emu.password, projects, tag: 'lkb-bench-load' };
  const rows: Row[] = [];
  let failed = false;
  for (const kind of ['sqlite', 'postgres'] as const) {
    if (DB_CHOICE !== 'both' && DB_CHOICE !== kind) continue;
    if (kind === 'postgres') {
      const why = await pgReachable();
      if (why) {
        out(`PostgreSQL: skipped — ${PG_ADMIN_URL} unreachable (${why})`);
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
    out('| database | scenario | req/s | p50 ms | p99 ms | bridge peak RSS | errors / non-2xx / rpc errors | force syncs completed |');
    out('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      out(
        `| ${r.db} | ${r.scenario} | ${r.reqPerSec.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${mib(r.peakRssMiB)} | ${r.errors} / ${r.non2xx} / ${r.rpcErrors} | ${r.syncs ? /completed (\d+)/.exec(r.syncs)![1] : '–'} |`,
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
      `bench:load setup failed: ${err instanceof SetupError ? err.message : err instanceof Error ? err.stack : String(err)}\n`,
    );
    await cleanup();
    process.exit(1);
  });
