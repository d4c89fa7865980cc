import { createTestDatabase, type TestDatabase } from '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startEmulator, type LogikalEmulator } from '../../emulator';

const CLI = join(__dirname, '..', '..', 'server', 'cli', 'index.js');

/** Async: the emulator runs in this process and must keep answering while the CLI runs. */
function runAsync(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function run(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('logikal-bridge CLI', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let emulator: LogikalEmulator;
  before(async () => {
    db = await createTestDatabase();
    env = { ...db.env, MIGRATE_ON_START: 'true', LOG_LEVEL: 'warn' };
    emulator = await startEmulator({ latencyScale: 0, password: 'cli-test-password' });
  });
  after(async () => {
    await emulator.stop();
    await db.drop();
  });

  it('stops on a bad setting with one line naming the variable', () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['LOGIKAL_URL', 'ftp://x/api/v3'],
      ['LOGIKAL_MAX_SESSIONS', '0'],
      ['SYNC_CRON', 'nightly'],
      ['BRIDGE_BOOTSTRAP_KEY', 'k'.repeat(201)],
      ['BRIDGE_BOOTSTRAP_KEY', 'a bootstrap key with spaces'],
      ['RESPONSE_MAX_BYTES', '1'],
    ]) {
      const r = run(['serve'], { ...env, [name]: value });
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1);
      assert.match(lines[0], new RegExp(`configuration error: ${name}: expected`));
    }
  });

  it('creates, lists and revokes API keys, showing a key only once', () => {
    const created = run(['apikey', 'create', '--name', 'odoo-prod', '--scopes', 'read,sync'], env);
    assert.equal(created.code, 0, created.stderr);
    const key = created.stdout.trim();
    assert.match(key, /^lkb_[\w-]{40,}$/);
    const list = run(['apikey', 'list'], env);
    assert.match(list.stdout, /odoo-prod\t[0-9a-f]{8}\tread,sync\tactive/);
    assert.ok(!list.stdout.includes(key.slice(4, 12)), 'no clear-text part of the key');
    assert.equal(list.stdout.includes(key), false, 'list never shows the key');
    assert.equal(run(['apikey', 'create', '--name', 'x', '--scopes', 'root'], env).code, 1);
    assert.equal(run(['apikey', 'revoke', 'odoo-prod'], env).code, 0);
    assert.match(run(['apikey', 'list'], env).stdout, /odoo-prod.*revoked/);
  });

  it('serves with no Logikal configured and answers system.version over HTTP', async () => {
    const child = spawn(process.execPath, [CLI, 'serve'], { env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', LOG_LEVEL: 'info' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(err);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      const res = await fetch(`${url}/jsonrpc`, {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', method: 'system.version', id: 1 }),
      });
      const body = (await res.json()) as { result: { name: string } };
      assert.equal(body.result.name, 'logikal-bridge');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('syncs a project and prints the result as JSON', async () => {
    const r = await runAsync(['sync', 'DOS22410', '--directory', 'Demo Odoo'], {
      ...env,
      LOGIKAL_URL: emulator.url,
      LOGIKAL_USERNAME: 'odoo',
      LOGIKAL_PASSWORD: 'cli-test-password',
    });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.equal(result.success, true);
    assert.equal(result.project_id, 'DOS22410');
    assert.ok(result.parts_lists_synced > 0);
    assert.equal(r.stderr.includes('cli-test-password'), false);
    const missing = await runAsync(['sync', 'DOS99999', '--directory', 'Demo Odoo'], {
      ...env,
      LOGIKAL_URL: emulator.url,
      LOGIKAL_USERNAME: 'odoo',
      LOGIKAL_PASSWORD: 'cli-test-password',
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Project "DOS99999" not found/);
  });
});
