import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config';
import { configureLogging } from '../logging';
import { startApp } from '../bootstrap';

const PROJECT = 'DOS22309';
const DIRECTORY = 'Demo Odoo';

/** A logikal.elevation row as search_read answers it (Odoo sends false for an empty field). */
interface ElevationRow {
  name: string;
  phase_id: [number, string] | false;
  system_name: string | false;
  width_out: number | false;
  height_out: number | false;
  width_unit: string | false;
  weight_out: number | false;
  weight_unit: string | false;
  parts_count: number;
}

/**
 * The README's main command: the bundled emulator with the demo fixture, the bridge on a fresh
 * embedded SQLite, and a real sync.force_project over JSON-RPC — no configuration needed.
 */
export async function runDemo(opts: { latencyScale: number; keep: boolean }): Promise<void> {
  const dataDir = resolve('data', 'demo');
  rmSync(dataDir, { recursive: true, force: true });
  const key = 'lkb_demo_' + randomBytes(18).toString('base64url');
  const emuPassword = 'demo-' + randomBytes(6).toString('hex');
  configureLogging({ level: 'warn', production: false });

  // The emulator is a test and demo tool: loaded only when the demo runs.
  const { startEmulator } = await import('../../emulator/index.js');
  const emulator = await startEmulator({ latencyScale: opts.latencyScale, password: emuPassword });
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    LOGIKAL_URL: emulator.url,
    LOGIKAL_USERNAME: 'odoo',
    LOGIKAL_PASSWORD: emuPassword,
    LOGIKAL_MAX_SESSIONS: '8',
    BRIDGE_BOOTSTRAP_KEY: key,
    MIGRATE_ON_START: 'true',
  });
  const app = await startApp(config);
  const out = (s = '') => process.stdout.write(s + '\n');

  out(`LogiKal emulator   ${emulator.url}  (demo fixture, latency x${opts.latencyScale})`);
  out(`bridge            ${app.url}/jsonrpc  (embedded SQLite: ${join(dataDir, 'bridge.sqlite')})`);
  out(`API key           ${key}`);
  out();
  out(`→ sync.force_project {"project_id": "${PROJECT}", "directory_id": "${DIRECTORY}"}`);
  const rpc = async <T>(method: string, params: unknown): Promise<T> => {
    const res = await fetch(`${app.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }),
    });
    const body = (await res.json()) as { result: T; error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
    return body.result;
  };
  try {
    const result = await rpc<unknown>('sync.force_project', { project_id: PROJECT, directory_id: DIRECTORY, wait_seconds: 110 });
    out(JSON.stringify(result, null, 2));
    out();
    out('A few parsed elevations (logikal.elevation via object.execute_kw search_read):');
    const uid = await rpc<number>('call', { service: 'common', method: 'authenticate', args: [config.dbName, 'demo', key, {}] });
    const rows = await rpc<ElevationRow[]>('call', {
      service: 'object',
      method: 'execute_kw',
      args: [
        config.dbName,
        uid,
        key,
        'logikal.elevation',
        'search_read',
        [[['project_id.name', '=', PROJECT]]],
        {
          fields: ['name', 'phase_id', 'system_name', 'width_out', 'height_out', 'width_unit', 'weight_out', 'weight_unit', 'parts_count'],
          order: 'name',
          limit: 5,
        },
      ],
    });
    for (const r of rows) {
      out(
        `  ${String(r.name).padEnd(6)} ${String(r.system_name).padEnd(44)} ${r.width_out} x ${r.height_out} ${r.width_unit || ''}  ${r.weight_out} ${r.weight_unit || ''}  ${r.parts_count} parts  [${r.phase_id ? r.phase_id[1] : ''}]`,
      );
    }
    const stats = emulator.stats();
    out();
    out(`Logikal sessions: ${stats.logins} logins, ${stats.logouts} logouts, at most ${stats.peakSessions} at once`);
    out(`Try it: curl -s ${app.url}/jsonrpc -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\`);
    out(`  -d '{"jsonrpc":"2.0","method":"sync.runs","params":{"limit":1},"id":1}'`);
  } finally {
    if (!opts.keep) {
      await app.close();
      await emulator.stop();
    } else {
      out('\nRunning; Ctrl-C to stop.');
    }
  }
}
