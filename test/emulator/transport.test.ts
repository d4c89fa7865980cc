import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { fixturesDir } from '../../server/paths';
import { Api, DOS22309, NULL_GUID, THUMB_QUERY, withEmulator } from './emu-http';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BAD_THUMB = "The request is in an invalid format, is missing required properties or can't be performed on the requested object.";

describe('emulator transport', () => {
  it('collapses duplicate slashes and tolerates a trailing slash', async () => {
    await withEmulator({}, async (emu, api) => {
      await api.login();
      const r = await fetch(emu.url + '//directories/', { headers: { authorization: `Bearer ${api.token}` } });
      assert.equal(r.status, 200);
      const els = await api.toPhase();
      const thumb = await api.call('GET', `//elevations/${els[0].id}//thumbnail?${THUMB_QUERY}`);
      assert.equal(thumb.status, 200);
      await api.select('elevations', els[0].id);
      assert.equal((await api.call('GET', '//elevations/selected/parts-list')).status, 200);
    });
  });

  it('mounts under a custom prefix and nowhere else; /version needs no token', async () => {
    await withEmulator({ prefix: '/MbioeService.svc/api/v3/' }, async (emu, api) => {
      assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+\/MbioeService\.svc\/api\/v3$/);
      const v = await api.call('GET', '/version');
      assert.equal(v.status, 200);
      assert.equal(v.json.data.componentVersions[0].version, '12.2.6.59');
      assert.equal((await api.login()).status, 200);
      const wrong = await fetch(emu.url.replace('/MbioeService.svc', '') + '/version');
      assert.equal(wrong.status, 404);
      assert.equal((await api.call('GET', '/no-such-endpoint')).status, 404);
      assert.equal((await api.call('PUT', '/auth', {})).status, 405);
    });
  });

  it('validates all six thumbnail parameters and serves the fixture PNG as octet-stream', async () => {
    await withEmulator({}, async (emu, api) => {
      const els = await api.toPhase();
      const p07 = els.find((e) => e.name === 'P07')!;
      const ok = await api.call('GET', `/elevations/${p07.id}/thumbnail?${THUMB_QUERY}`);
      assert.equal(ok.status, 200);
      assert.equal(ok.contentType, 'application/octet-stream');
      assert.deepEqual(ok.bytes.subarray(0, 8), PNG_MAGIC);
      const fileName = emu.fixture.directories[0].projects![0].phases[0].elevations[0].thumbnail!;
      assert.deepEqual(ok.bytes, readFileSync(join(fixturesDir(), 'thumbnails', fileName)));
      // case-insensitive values, as .NET parses enums and booleans
      const lower = await api.call(
        'GET',
        `/elevations/${p07.id}/thumbnail?width=10&height=10&format=png&view=exterior&withdimensions=False&withdescription=TRUE`,
      );
      assert.equal(lower.status, 200);

      const full = new URLSearchParams(THUMB_QUERY);
      for (const name of ['width', 'height', 'format', 'view', 'withdimensions', 'withdescription']) {
        const q = new URLSearchParams(full);
        q.delete(name);
        const missing = await api.call('GET', `/elevations/${p07.id}/thumbnail?${q}`);
        assert.equal(missing.status, 400, `missing ${name}`);
        assert.equal(missing.json.message, BAD_THUMB);
      }
      for (const [name, bad] of [
        ['width', 'abc'],
        ['height', '0'],
        ['format', 'GIF'],
        ['view', 'Top'],
        ['withdimensions', 'yes'],
        ['withdescription', '1'],
      ]) {
        const q = new URLSearchParams(full);
        q.set(name, bad);
        assert.equal((await api.call('GET', `/elevations/${p07.id}/thumbnail?${q}`)).status, 400, `${name}=${bad}`);
      }
      assert.equal((await api.call('GET', `/elevations/11111111-2222-4333-8444-555555555555/thumbnail?${THUMB_QUERY}`)).status, 400);
      await api.select('elevations', p07.id);
      assert.equal((await api.call('GET', `/elevations/${p07.id}/thumbnail?${THUMB_QUERY}`)).status, 405);
      assert.deepEqual((await api.call('GET', `/elevations/selected/thumbnail?${THUMB_QUERY}`)).bytes, ok.bytes);
    });
  });

  it('serves the parts list as base64 of a WAL-mode SQLite file naming the elevation', async () => {
    await withEmulator({}, async (emu, api) => {
      const els = await api.toPhase(DOS22309, NULL_GUID);
      const p01 = els.find((e) => e.name === 'P01')!;
      await api.select('elevations', p01.id);
      const r = await api.call('GET', '/elevations/selected/parts-list');
      assert.equal(r.status, 200);
      assert.equal(typeof r.json.data, 'string');
      const db = Buffer.from(r.json.data, 'base64');
      assert.equal(db.subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
      assert.equal(db[18], 2, 'write version 2 = WAL');
      assert.equal(db[19], 2, 'read version 2 = WAL');
      assert.ok(db.length > 600_000 && db.length < 2_000_000, `size ${db.length}`);
      const dir = mkdtempSync(join(tmpdir(), 'emu-pl-'));
      try {
        const file = join(dir, 'p01.sqlite');
        writeFileSync(file, db);
        const sqlite = new Database(file, { readonly: true });
        const names = sqlite.prepare('SELECT Name FROM Elevations').all() as Array<{ Name: string }>;
        sqlite.close();
        assert.ok(
          names.some((n) => n.Name === 'P01'),
          JSON.stringify(names),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // cached: the second download is byte-identical and not regenerated
      const again = await api.call('GET', '/elevations/selected/parts-list');
      assert.equal(again.json.data, r.json.data);
      assert.equal(emu.stats().partsListsGenerated, 1);
    });
  });

  it('touchElevation changes versionId, changedDate and the parts list; removeElevation hides it', async () => {
    await withEmulator({}, async (emu, api) => {
      const before = await api.toPhase();
      const p05 = before.find((e) => e.name === 'P05') as unknown as { id: string; versionId: string; changedDate: number };
      await api.select('elevations', p05.id);
      const pl1 = (await api.call('GET', '/elevations/selected/parts-list')).json.data;

      const touched = emu.touchElevation(p05.id);
      assert.notEqual(touched.versionId, p05.versionId);
      assert.ok((touched.changedDate as number) > p05.changedDate);
      const b = new Api(api.base);
      const after = await b.toPhase();
      assert.equal((after.find((e) => e.id === p05.id) as unknown as { versionId: string }).versionId, touched.versionId);
      await b.select('elevations', p05.id);
      const pl2 = (await b.call('GET', '/elevations/selected/parts-list')).json.data;
      assert.notEqual(pl2, pl1);

      emu.removeElevation(p05.id);
      const c = new Api(api.base);
      const gone = await c.toPhase();
      assert.equal(gone.length, before.length - 1);
      assert.equal((await c.select('elevations', p05.id)).status, 404);
      const p06 = gone.find((e) => e.name === 'P06')!;
      emu.removeElevation(p06.id, { toRecycleBin: true });
      const bin = await new Api(api.base).toPhase();
      assert.equal((bin.find((e) => e.id === p06.id) as unknown as { isInRecycleBin: boolean }).isInRecycleBin, true);

      const template = emu.fixture.directories[0].projects![0].phases[0].elevations[0];
      emu.addElevation(DOS22309, NULL_GUID, { ...template, id: '99999999-2222-4333-8444-555555555555', name: 'P99' });
      assert.throws(() => emu.addElevation(DOS22309, NULL_GUID, { ...template, id: 'bad', name: 'X' }), /lowercase GUID/);
      const added = await new Api(api.base).toPhase();
      assert.equal(added.at(-1)!.name, 'P99');
    });
  });
});
