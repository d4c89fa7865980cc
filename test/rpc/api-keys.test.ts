import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApiKey } from '../../entities';
import { startApp, type App } from '../../server/bootstrap';
import { configFor, createTestDatabase, type TestDatabase } from '../helpers/test-env';

const KEY = 'operator-chosen-secret-for-deploys';
const OTHER = 'another-operator-chosen-key-22';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('API keys at rest and the bootstrap key across restarts', () => {
  let db: TestDatabase;
  let app: App | undefined;
  let generated: string;

  /** (Re)starts the bridge on the same database with this BRIDGE_BOOTSTRAP_KEY ('' = unset). */
  async function restart(bootstrapKey: string): Promise<App> {
    await app?.close();
    app = await startApp(configFor(db, { BRIDGE_BOOTSTRAP_KEY: bootstrapKey }));
    return app;
  }

  /** Whether `key` may call a read method. */
  async function accepted(key: string): Promise<boolean> {
    const res = await fetch(`${app!.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'sync.runs', params: {}, id: 1 }),
    });
    const body = (await res.json()) as { result?: unknown; error?: { data: { name: string } } };
    if (body.error) assert.equal(body.error.data.name, 'odoo.exceptions.AccessDenied');
    return !body.error;
  }

  const rows = () => app!.services.db.reader.getRepository(ApiKey).find({ order: { id: 'ASC' } });
  const bootstrapRow = async () => (await rows()).find((r) => r.name === 'bootstrap')!;

  before(async () => {
    db = await createTestDatabase();
    await restart(KEY);
    generated = (await app!.services.apiKeys.create('odoo', ['read'])).key;
  });
  after(async () => {
    await app?.close();
    await db.drop();
  });

  it('stores no character of any key: the bootstrap key salted with scrypt, generated keys as SHA-256', async () => {
    assert.ok(await accepted(KEY));
    assert.ok(await accepted(generated));
    assert.equal(await accepted(KEY.slice(0, -1) + 'X'), false);
    const stored = JSON.stringify(await rows());
    for (const key of [KEY, generated]) {
      for (let i = 0; i + 8 <= key.length; i += 4)
        assert.ok(!stored.includes(key.slice(i, i + 8)), `no part of ${key.slice(0, 3)}… stored`);
    }
    const boot = await bootstrapRow();
    assert.match(boot.keySalt ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual(boot.keyHash, sha256(KEY), 'not an unsalted hash of an operator-chosen secret');
    const odoo = (await rows()).find((r) => r.name === 'odoo')!;
    assert.equal(odoo.keySalt, null);
    assert.equal(odoo.keyHash, sha256(generated));
  });

  it('a restart without BRIDGE_BOOTSTRAP_KEY revokes the bootstrap key and scrubs its hash; other keys work on', async () => {
    const before = await bootstrapRow();
    await restart('');
    assert.equal(await accepted(KEY), false);
    assert.ok(await accepted(generated));
    const after = await bootstrapRow();
    assert.ok(after.revokedAt, 'revoked');
    assert.notEqual(after.keyHash, before.keyHash, 'the hash of the old secret is gone');
    // A second start without the key changes nothing more.
    await restart('');
    assert.deepEqual(await bootstrapRow(), after);
  });

  it('setting it again re-enables it; a new value replaces the old one', async () => {
    await restart(KEY);
    assert.ok(await accepted(KEY));
    const salt = (await bootstrapRow()).keySalt;
    await restart(KEY);
    assert.equal((await bootstrapRow()).keySalt, salt, 'the same key keeps its salt');
    await restart(OTHER);
    assert.ok(await accepted(OTHER));
    assert.equal(await accepted(KEY), false);
    assert.notEqual((await bootstrapRow()).keySalt, salt);
    assert.equal((await rows()).filter((r) => r.name === 'bootstrap').length, 1);
  });
});
