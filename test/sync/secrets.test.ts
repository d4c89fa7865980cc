import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { SessionStore } from '../../emulator/sessions';
import { startEmulator, type LogikalEmulator } from '../../emulator';
import { rootLogger } from '../../server/logging';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { DEMO } from '../helpers/sync-checks';

const PASSWORD = 'Sentinel-LK-pw-7f3a9c21e5';
const BOOT_KEY = 'Sentinel-boot-key-5b8e2d44a0c1';
const USER = 'odoo';

/**
 * I7: no configured secret and no Logikal session token in the log output (every line, at debug),
 * in any column of any table, or in any RPC answer. Tokens are learnt by wrapping the emulator's
 * session store, so the check covers every token the bridge was ever given.
 */
describe('secrets stay out of logs, tables and RPC answers', () => {
  const lines: string[] = [];
  const tokens: string[] = [];
  const answers: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be restored, and called with .call(this)
  const originalCreate = SessionStore.prototype.create;
  const originalLevel = rootLogger.level;
  const silenced = rootLogger.transports.filter((t) => !t.silent);
  const capture = new winston.transports.Stream({
    level: 'debug',
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    }),
  });
  let emulator: LogikalEmulator;
  let app: TestApp;

  const call = async (method: string, params: unknown, key: string | null = BOOT_KEY): Promise<any> => {
    const res = await app.rpc(method, params, key);
    answers.push(JSON.stringify(res));
    return res;
  };

  before(async () => {
    SessionStore.prototype.create = function create(this: SessionStore, username: string) {
      const s = originalCreate.call(this, username);
      if (s) tokens.push(s.token);
      return s;
    };
    for (const t of silenced) t.silent = true;
    rootLogger.add(capture);
    rootLogger.level = 'debug';
    emulator = await startEmulator({ latencyScale: 0, username: USER, password: PASSWORD, faults: { seed: 5, serverErrorRate: 0.1 } });
    app = await startTestApp({
      LOGIKAL_URL: emulator.url,
      LOGIKAL_USERNAME: USER,
      LOGIKAL_PASSWORD: PASSWORD,
      BRIDGE_BOOTSTRAP_KEY: BOOT_KEY,
      LOG_LEVEL: 'debug',
    });
  });

  after(async () => {
    await app.close();
    await emulator.stop();
    rootLogger.remove(capture);
    rootLogger.level = originalLevel;
    for (const t of silenced) t.silent = false;
    SessionStore.prototype.create = originalCreate;
  });

  it('a force sync with faults, error calls and reads leave no secret or token behind', { timeout: 30_000 }, async () => {
    const r = await call('sync.force_project', { project_id: 'DOS22309', directory_id: DEMO, wait_seconds: 25 });
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.ok(['succeeded', 'partial'].includes(r.result.state), r.result.message);
    await call('sync.status', { run_id: r.result.run_id });
    await call('sync.runs', {});
    await call('sync.directories', { wait_seconds: 25 });
    await call('sync.force_project', { project_id: 'NOPE', directory_id: DEMO, wait_seconds: 25 });
    await call('sync.force_project', { project_id: 'DOS22309', directory_id: 'Nope', wait_seconds: 25 });
    await call('sync.status', { run_id: 1 }, 'wrong-key-0123456789abcdef');
    await call('sync.status', { run_id: 'x' });
    await app.app.services.sync.drain();

    const s = emulator.stats();
    assert.equal(s.logins, s.logouts, 'I5 in this file too');
    assert.ok(tokens.length >= s.logins && tokens.length > 10, `tokens observed (${tokens.length})`);
    assert.ok(lines.length > 50, `debug output captured (${lines.length} lines)`);
    assert.ok(
      lines.some((l) => l.includes('logikal login')),
      'the Logikal client logged at debug',
    );

    const secrets = [PASSWORD, BOOT_KEY, ...tokens];
    const leaks = (where: string, text: string): void => {
      for (const sec of secrets)
        assert.ok(
          !text.includes(sec),
          `${where} contains ${sec === PASSWORD ? 'the Logikal password' : sec === BOOT_KEY ? 'the bootstrap key' : 'a session token'}`,
        );
    };
    leaks('log output', lines.join(''));
    leaks('RPC answers', answers.join('\n'));

    const ds = app.app.services.db.dataSource;
    let cells = 0;
    for (const meta of ds.entityMetadatas) {
      const rows = await ds.query<Array<Record<string, unknown>>>(`SELECT * FROM ${ds.driver.escape(meta.tableName)}`);
      for (const row of rows) {
        for (const [col, v] of Object.entries(row)) {
          if (v === null || v === undefined) continue;
          cells++;
          if (Buffer.isBuffer(v)) {
            for (const sec of secrets) assert.equal(v.includes(sec), false, `${meta.tableName}.${col} (binary) holds a secret`);
          } else {
            leaks(`${meta.tableName}.${col}`, typeof v === 'string' ? v : JSON.stringify(v));
          }
        }
      }
    }
    assert.ok(cells > 500, `tables were read (${cells} cells)`);
  });

  it('a wrong Logikal password is reported without echoing it', async () => {
    const other = await startTestApp({
      LOGIKAL_URL: emulator.url,
      LOGIKAL_USERNAME: USER,
      LOGIKAL_PASSWORD: `${PASSWORD}-wrong`,
      BRIDGE_BOOTSTRAP_KEY: BOOT_KEY,
    });
    try {
      const before = lines.length;
      const res = await other.rpc('sync.force_project', { project_id: 'DOS22309', directory_id: DEMO, wait_seconds: 25 }, BOOT_KEY);
      const text = JSON.stringify(res);
      assert.equal(res.result?.state, 'failed', text);
      assert.match(res.result.message, /login refused \(401\)/);
      assert.ok(!text.includes(PASSWORD), 'answer');
      assert.ok(!lines.slice(before).join('').includes(PASSWORD), 'logs');
    } finally {
      await other.close();
    }
  });
});
