// npm run bench -- [--scale S]  (default 0.1; 1 = the seed's measured LogiKal latencies)
// Not a test: prints timings for DOS22309 against the bundled emulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsNull, Not } from 'typeorm';
import { loadConfig, type BridgeConfig } from '../server/config';
import { configureLogging } from '../server/logging';
import { buildServices } from '../server/bootstrap';
import { PartsListParser } from '../server/parts/parts-list-parser';
import { Elevation } from '../entities';
import { startEmulator, DEFAULT_LATENCY } from '../emulator';

const PROJECT = 'DOS22309';
const DIRECTORY = 'Demo Odoo';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const scale = Number(arg('scale', '0.1'));
  const maxSessions = Number(arg('sessions', '8'));
  configureLogging({ level: 'error', production: false });
  const root = mkdtempSync(join(tmpdir(), 'lkb-bench-'));
  const emulator = await startEmulator({ latencyScale: scale, password: 'bench-password', maxSessions: 64 });
  const configFor = (name: string): BridgeConfig =>
    loadConfig({
      DATA_DIR: join(root, name),
      LOGIKAL_URL: emulator.url,
      LOGIKAL_USERNAME: 'odoo',
      LOGIKAL_PASSWORD: 'bench-password',
      LOGIKAL_MAX_SESSIONS: String(maxSessions),
      LOG_LEVEL: 'error',
      MIGRATE_ON_START: 'true',
    });
  const out = (s = '') => process.stdout.write(s + '\n');
  out(
    `DOS22309 force sync benchmark — emulator latency x${scale} (login ${DEFAULT_LATENCY.login * scale}s), LOGIKAL_MAX_SESSIONS=${maxSessions}`,
  );

  const timed = async (
    label: string,
    fn: () => Promise<{ success: boolean; parts_lists_synced: number; parts_lists_unchanged: number }>,
  ) => {
    emulator.resetStats();
    const t0 = performance.now();
    const r = await fn();
    const s = (performance.now() - t0) / 1000;
    const st = emulator.stats();
    out(
      `${label.padEnd(44)} ${s.toFixed(2).padStart(8)} s   ok=${r.success} downloaded=${r.parts_lists_synced} unchanged=${r.parts_lists_unchanged} logins=${st.logins} logouts=${st.logouts} peak=${st.peakSessions}`,
    );
    return s;
  };

  // 1. The predecessor's algorithm: one fresh session per elevation, strictly sequential.
  const seq = await buildServices(configFor('c1'));
  const c1 = await timed('force sync, concurrency 1 (sequential)', () =>
    seq.services.sync.syncProject('force', { projectId: PROJECT, directoryId: DIRECTORY, waitSeconds: 86400, concurrency: 1 }),
  );
  await seq.services.sync.drain();
  await seq.db.close();

  // 2. Parallel sessions, logins started ahead of need.
  const par = await buildServices(configFor('c8'));
  const c8 = await timed(`force sync, concurrency ${maxSessions}`, () =>
    par.services.sync.syncProject('force', { projectId: PROJECT, directoryId: DIRECTORY, waitSeconds: 86400, concurrency: maxSessions }),
  );
  const smart = await timed('smart re-sync, nothing changed', () =>
    par.services.sync.syncProject('smart', { projectId: PROJECT, directoryId: DIRECTORY, waitSeconds: 86400 }),
  );

  // 3. Parsing alone, from the stored files.
  const rows = await par.db.reader
    .getRepository(Elevation)
    .find({ where: { partsListFileId: Not(IsNull()) }, relations: { partsListFile: true } });
  const parser = new PartsListParser({ tempDir: join(root, 'parse') });
  let bytes = 0;
  const p0 = performance.now();
  for (const r of rows) {
    await parser.parse(r.partsListFile!.content, r.name);
    bytes += r.partsListFile!.content.length;
  }
  const parseMs = performance.now() - p0;
  await par.services.sync.drain();
  await par.db.close();
  await emulator.stop();
  rmSync(root, { recursive: true, force: true });

  const mb = bytes / 1024 / 1024;
  out();
  out(`speed-up concurrency ${maxSessions} vs 1:          ${(c1 / c8).toFixed(2)}x   (target ≥ 4x)`);
  out(`smart re-sync vs concurrency-1 force sync:   ${(c1 / smart).toFixed(1)}x   (target ≥ 10x)`);
  out(
    `seed baseline 508 s vs concurrency ${maxSessions}:        ${(508 / (c8 / scale)).toFixed(1)}x at scale 1 equivalent (${(c8 / scale).toFixed(1)} s; target < 40 s)`,
  );
  out(`parse: ${rows.length} files, ${mb.toFixed(1)} MB in ${parseMs.toFixed(0)} ms = ${(parseMs / mb).toFixed(1)} ms/MB`);
  out(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
