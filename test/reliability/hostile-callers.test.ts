import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, Elevation, StoredFile } from '../../entities';
import { partsTempDir } from '../../server/parts/temp-files';
import { seed, type Seed } from '../odoo/odoo-fixture';
import { closeAll, Rig } from './harness';

/** 50 elevations over 10 distinct 1.5 MB parts lists: one page of 50 is 100 MB of base64. */
const ELEVATIONS = 50;
const FILES = 10;
const FILE_BYTES = 1536 * 1024;
/**
 * The bridge's peak resident set while it answers the hostile batches (64 MiB RESPONSE_MAX_BYTES).
 * Unbounded, the first batch alone built ~2 GB of strings; an idle bridge holds ~150 MiB.
 */
const PEAK_RSS_BOUND_MIB = 640;

interface Reply {
  id: number | null;
  result?: unknown[];
  error?: { code: number; message: string; data: { name: string; message: string } };
}

describe('hostile callers against a real bridge process: memory stays bounded, nothing hangs, a retired key is refused', () => {
  let rig: Rig;
  let s: Seed;
  let uid: number;

  before(async () => {
    rig = await Rig.start({ noEmulator: true });
    s = await rig.withDb((db) => db.write((m) => seed(m)));
    await rig.withDb((db) =>
      db.write(async (m) => {
        const files: number[] = [];
        for (let i = 0; i < FILES; i++) {
          const content = Buffer.alloc(FILE_BYTES, 97 + i);
          const sha256 = createHash('sha256').update(content).digest('hex');
          files.push((await m.getRepository(StoredFile).save({ sha256, size: content.length, content, createdAt: new Date() })).id);
        }
        const { id: _id, ...base } = await m.getRepository(Elevation).findOneByOrFail({ id: s.pos1 });
        for (let i = 0; i < ELEVATIONS; i++) {
          await m.getRepository(Elevation).save({
            ...base,
            logikalId: `b2000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
            name: `Big ${i}`,
            partsListFileId: files[i % FILES],
            partsListSize: FILE_BYTES,
          });
        }
      }),
    );
    uid = await rig.bridge.rpc<number>('common.login', ['logikal', 'odoo', rig.key]);
  });
  after(closeAll);

  /** One POST of `body` to /jsonrpc; a hang fails the test instead of stalling it. */
  async function post<T = Reply[]>(body: unknown): Promise<{ status: number; bytes: number; replies: T }> {
    const res = await fetch(`${rig.bridge.url}/jsonrpc`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    return { status: res.status, bytes: Buffer.byteLength(text), replies: JSON.parse(text) as T };
  }

  const searchRead = (id: number, domain: unknown[], kwargs: Record<string, unknown>) => ({
    jsonrpc: '2.0',
    id,
    method: 'object.execute_kw',
    params: ['logikal', uid, rig.key, 'logikal.elevation', 'search_read', [domain], kwargs],
  });

  function peakMiB(): number {
    const kib = rig.bridge.peakRssKiB();
    assert.ok(kib !== undefined, 'the bridge is alive and its peak RSS readable');
    return Math.round(kib / 1024);
  }

  it('a batch element that is not an object is answered, not left hanging', async () => {
    const r = await post([[{ jsonrpc: '2.0', method: 'system.version', id: 1 }], { jsonrpc: '2.0', method: 'system.version', id: 2 }]);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.replies.map((x) => [x.id, x.error?.code ?? 'ok']),
      [
        [2, 'ok'],
        [null, -32600],
      ],
    );
  });

  it('20 distinct 1 MB ilike patterns are refused at once; a batch of 20 of 1,000 characters is answered', async (t) => {
    // 20 calls at once, each as large as a body may be (a batch of them would be refused as a body over 1 MiB).
    const huge = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post<Reply>(searchRead(i, [['name', 'ilike', `${i}${'q'.repeat(1_000_000)}`]], {}))),
    );
    for (const r of huge) assert.match(r.replies.error?.data.message ?? '', /at most 1000 characters/);
    const longest = await post(Array.from({ length: 20 }, (_, i) => searchRead(i, [['name', 'ilike', `${i}%${'q'.repeat(990)}`]], {})));
    assert.deepEqual(
      longest.replies.map((r) => r.result),
      Array.from({ length: 20 }, () => []),
    );
    t.diagnostic(`bridge peak RSS after the ilike batches: ${peakMiB()} MiB`);
    assert.ok(peakMiB() < PEAK_RSS_BOUND_MIB, `peak RSS ${peakMiB()} MiB`);
  });

  it('20 × search_read of 50 parts lists: refused before they are built, peak RSS bounded', async (t) => {
    const domain = [['name', '=like', 'Big %']];
    const pages = await post(Array.from({ length: 20 }, (_, i) => searchRead(i, domain, { fields: ['name', 'parts_list'], limit: 50 })));
    assert.equal(pages.replies.length, 20);
    for (const r of pages.replies) assert.match(r.error?.data.message ?? '', /RESPONSE_MAX_BYTES/, 'each page alone is over the limit');
    // Pages of 20 (40 MB each) fit one at a time: the batch shares the 64 MiB, so one is served and the rest refused.
    const shared = await post(Array.from({ length: 20 }, (_, i) => searchRead(i, domain, { fields: ['parts_list'], limit: 20 })));
    assert.equal(shared.replies.filter((r) => r.result?.length === 20).length, 1, 'one page served');
    assert.equal(shared.replies.filter((r) => (r.error?.data.message ?? '').includes('RESPONSE_MAX_BYTES')).length, 19, 'the rest refused');
    assert.ok(shared.bytes <= 64 * 1024 * 1024, `reply of ${shared.bytes} bytes`);
    t.diagnostic(`bridge peak RSS after the binary batches: ${peakMiB()} MiB`);
    assert.ok(peakMiB() < PEAK_RSS_BOUND_MIB, `peak RSS ${peakMiB()} MiB`);
  });

  it('restarted without BRIDGE_BOOTSTRAP_KEY: the key is refused, its row revoked and scrubbed; leftover temp files swept', async () => {
    assert.equal((await rig.bridge.call('sync.runs', {})).error, undefined, 'the key works while set');
    await rig.bridge.child.stop();
    // What a process killed mid-parse leaves behind, beside files that are not ours.
    const tmp = partsTempDir(rig.db.env.DATA_DIR);
    mkdirSync(join(tmp, 'parts-999999999-AbC123'), { recursive: true });
    writeFileSync(join(tmp, 'parts-999999999-AbC123', 'parts.db'), 'SQLite format 3\u0000');
    mkdirSync(join(tmp, 'parts-Zz9xY8'));
    writeFileSync(join(tmp, 'keep-me.txt'), 'not ours');

    const bridge = await rig.restartBridge({ BRIDGE_BOOTSTRAP_KEY: undefined });
    const denied = await bridge.call('sync.runs', {});
    assert.equal(denied.error?.data?.name, 'odoo.exceptions.AccessDenied');
    assert.equal(await (await bridge.call('common.login', ['logikal', 'odoo', rig.key])).result, false);
    const row = await rig.withDb((db) => db.reader.getRepository(ApiKey).findOneByOrFail({ name: 'bootstrap' }));
    assert.ok(row.revokedAt, 'the bootstrap row is revoked');
    assert.notEqual(row.keyHash, createHash('sha256').update(rig.key).digest('hex'));
    assert.ok(!JSON.stringify(row).includes(rig.key.slice(0, 8)), 'nothing of the key in its row');

    assert.equal(existsSync(join(tmp, 'parts-999999999-AbC123')), false, 'a dead process’s directory is swept');
    assert.equal(existsSync(join(tmp, 'parts-Zz9xY8')), false, 'an older bridge’s directory is swept');
    assert.equal(existsSync(join(tmp, 'keep-me.txt')), true, 'what is not ours is left alone');
  });
});
