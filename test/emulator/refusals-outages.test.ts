import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ListingFault } from '../../emulator/index';
import { Api, withEmulator } from './emu-http';

async function control(base: string, action: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}/__emulator/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** The error code of a failed fetch (undici wraps the socket error in `cause`). */
async function fetchFailure(url: string): Promise<string> {
  try {
    await fetch(url);
  } catch (err) {
    return String((err as { cause?: { code?: string } }).cause?.code);
  }
  return 'answered';
}

const LISTINGS: Array<[string, string]> = [
  ['GET /directories', '/directories'],
  ['GET /projects', '/projects'],
  ['GET /phases', '/phases'],
  ['GET /elevations', '/elevations'],
];

describe('emulator licence refusals, lost replies, listing faults and outages', () => {
  it('refuses logins over the cap with the configured status and message (config over HTTP)', async () => {
    await withEmulator({ maxSessions: 1 }, async (emu, api) => {
      assert.equal((await new Api(api.base).login()).status, 200);
      for (const status of [409, 429, 503]) {
        const set = await control(api.base, 'config', { licenceRefusalStatus: status, licenceRefusalMessage: `No seat (${status})` });
        assert.deepEqual([set.status, set.json.licenceRefusalStatus, set.json.licenceRefusalMessage], [200, status, `No seat (${status})`]);
        const refused = await api.login();
        assert.deepEqual([refused.status, refused.json.code, refused.json.errors], [status, status, [`No seat (${status})`]]);
      }
      await control(api.base, 'config', { licenceRefusalMessage: '' });
      assert.equal((await api.login()).json.message, 'The licence limit of 1 concurrent sessions has been reached.');
      assert.equal((await control(api.base, 'config', { licenceRefusalStatus: 200 })).status, 400);
      assert.equal(emu.stats().refusedLogins, 4);
    });
    await withEmulator({ maxSessions: 1, licenceRefusalStatus: 429, licenceRefusalMessage: 'Too many sessions' }, async (_emu, api) => {
      await new Api(api.base).login();
      const refused = await api.login();
      assert.deepEqual([refused.status, refused.json.message], [429, 'Too many sessions']);
    });
  });

  it('a lost login reply holds a seat: the session exists, the client got no byte', async () => {
    await withEmulator({ maxSessions: 1 }, async (emu, api) => {
      emu.setFaults({ script: [{ endpoint: 'POST /auth', kind: 'lostReply' }] });
      await assert.rejects(api.login());
      const s = emu.stats();
      assert.deepEqual([s.openSessions, s.logins, s.faultsInjected.lostReply, s.faultsByEndpoint['POST /auth']], [1, 1, 1, 1]);
      // The leaked session holds the only seat.
      assert.equal((await api.login()).status, 403);
      assert.equal(emu.dropAllSessions(), 1);
      assert.equal((await api.login()).status, 200);
    });
  });

  it('listing faults replace the 200 body of each listing endpoint: empty, {}, data null, a valid empty list', async () => {
    const bodies: Record<ListingFault, string> = {
      emptyBody: '',
      emptyObject: '{}',
      nullData: '{"data":null,"hints":[],"warnings":[]}',
      emptyList: '{"data":[],"hints":[],"warnings":[]}',
    };
    await withEmulator({}, async (emu, api) => {
      for (const [endpoint, path] of LISTINGS) {
        for (const kind of Object.keys(bodies) as ListingFault[]) {
          const set = await control(api.base, 'faults', { listings: { [endpoint]: kind } });
          assert.equal(set.status, 200);
          const a = new Api(api.base);
          await a.login();
          if (path === '/phases' || path === '/elevations') {
            await a.select('directories', 'Demo Odoo');
            await a.select('projects', '5ddb1393-56eb-4280-9f7e-3c3aec51483c');
          }
          if (path === '/elevations') await a.select('phases', '00000000-0000-0000-0000-000000000000');
          if (path === '/projects') await a.select('directories', 'Demo Odoo');
          const r = await a.call('GET', path);
          assert.deepEqual([r.status, r.bytes.toString('utf8')], [200, bodies[kind]], `${endpoint} ${kind}`);
          await a.call('DELETE', '/auth');
        }
      }
      const s = emu.stats();
      assert.deepEqual([s.faultsInjected.malformedListing, s.faultsInjected.emptyListing], [12, 4]);
      assert.equal(s.openSessions, 0);
      // A listing fault never hides an error reply: GET /projects in phase state is still a 405.
      emu.setFaults({ listings: { 'GET /projects': 'nullData' } });
      await api.toPhase();
      assert.equal((await api.call('GET', '/projects')).status, 405);
    });
  });

  it('a scripted listing fault hits one call only; listing faults need a listing endpoint', async () => {
    await withEmulator({}, async (emu, api) => {
      emu.setFaults({ script: [{ endpoint: 'GET /elevations', kind: 'emptyList' }] });
      assert.deepEqual(await api.toPhase(), []);
      assert.equal((await api.call('GET', '/elevations')).json.data.length, 13);
      assert.throws(() => emu.setFaults({ script: [{ kind: 'nullData' }] }), /listing endpoints/);
      assert.equal((await control(api.base, 'faults', { listings: { 'POST /auth': 'emptyBody' } })).status, 400);
      assert.equal((await control(api.base, 'faults', { listings: { 'GET /projects': 'garbage' } })).status, 400);
    });
  });

  it("down 'unavailable': every API call gets IIS's 503 page at once, the control door still answers", async () => {
    await withEmulator({}, async (emu, api) => {
      assert.equal((await control(api.base, 'faults', { down: 'unavailable' })).status, 200);
      for (const r of [await api.login(), await api.call('GET', '/version'), await api.call('GET', '/directories')]) {
        assert.deepEqual([r.status, r.contentType, r.json], [503, 'text/html', undefined]);
        assert.match(r.bytes.toString('utf8'), /Service Unavailable/);
      }
      const s = emu.stats();
      assert.deepEqual([s.callsByEndpoint['POST /auth'], s.faultsInjected.unavailable, s.openSessions], [1, 3, 0]);
      assert.equal((await control(api.base, 'faults', {})).status, 200);
      assert.equal((await api.login()).status, 200);
    });
  });

  it("down 'refuse': connections are refused until the faults change; downForSeconds brings it back by itself", async () => {
    await withEmulator({}, async (emu, api) => {
      await api.login();
      emu.setFaults({ down: 'refuse' });
      assert.equal(await fetchFailure(`${api.base}/version`), 'ECONNREFUSED');
      assert.equal(await fetchFailure(`${api.base}/__emulator/stats`), 'ECONNREFUSED');
      emu.setFaults({});
      await emu.ready();
      // The emulator itself did not restart: the session from before is still there.
      assert.equal((await api.call('GET', '/directories')).status, 200);

      const set = await control(api.base, 'faults', { down: 'refuse', downForSeconds: 0.2 });
      assert.deepEqual([set.status, set.json.down], [200, 'refuse']);
      assert.equal(await fetchFailure(`${api.base}/version`), 'ECONNREFUSED');
      while ((await fetchFailure(`${api.base}/version`)) !== 'answered') await new Promise((r) => setTimeout(r, 20));
      assert.equal(emu.faults.down, undefined);
      assert.equal((await api.call('GET', '/directories')).status, 200);
    });
  });
});
