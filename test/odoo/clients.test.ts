import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import xmlrpc from 'xmlrpc';
import OdooJSONRpc from '@fernandoslim/odoo-jsonrpc';
import { NULL_GUID } from '../../entities';
import { BOOTSTRAP_KEY } from '../helpers/test-app';
import { startRig, type Rig } from '../helpers/bridge-with-emulator';
import { forceSync } from '../helpers/sync-checks';

const EL = 'logikal.elevation';
const PNG_MAGIC = '89504e470d0a1a0a';
const DOMAIN = [
  ['project_id.name', '=', 'DOS22309'],
  ['phase_id.logikal_id', '!=', NULL_GUID],
  ['parse_status', '=', 'success'],
];

/** Polls a run through the same wire until it is terminal. */
async function until(read: () => Promise<string>): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const state = await read();
    if (state !== 'queued' && state !== 'running') return state;
    if (Date.now() > deadline) assert.fail(`run still ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('stock Odoo clients, unpatched, against a bridge mirroring the emulator', () => {
  let rig: Rig;
  let projectId: number;
  let expected: number;

  before(async () => {
    rig = await startRig();
    const r = await forceSync(rig, 'DOS22309');
    assert.equal(r.state, 'succeeded', r.message);
    const odoo = rig.bridge;
    const login = await odoo.post({
      jsonrpc: '2.0',
      method: 'call',
      params: { service: 'common', method: 'login', args: ['logikal', 'x', BOOTSTRAP_KEY] },
      id: 1,
    });
    const ids = await odoo.post({
      jsonrpc: '2.0',
      method: 'call',
      id: 2,
      params: {
        service: 'object',
        method: 'execute_kw',
        args: ['logikal', login.body.result, BOOTSTRAP_KEY, 'logikal.project', 'search', [[['name', '=', 'DOS22309']]]],
      },
    });
    [projectId] = ids.body.result;
    const count = await odoo.post({
      jsonrpc: '2.0',
      method: 'call',
      id: 3,
      params: {
        service: 'object',
        method: 'execute_kw',
        args: ['logikal', login.body.result, BOOTSTRAP_KEY, EL, 'search_count', [DOMAIN]],
      },
    });
    expected = count.body.result;
    assert.ok(expected > 0 && expected < 17, `elevations outside the default phase: ${expected}`);
  });
  after(async () => {
    await rig.close();
  });

  it('@fernandoslim/odoo-jsonrpc: API-key login, search_read with a domain, a thumbnail, action_force_sync', async () => {
    const url = new URL(rig.bridge.url);
    const client = new OdooJSONRpc({
      baseUrl: `http://${url.hostname}`,
      port: Number(url.port),
      db: 'logikal',
      username: 'odoo-addon',
      apiKey: BOOTSTRAP_KEY,
    });
    const auth = await client.connect();
    assert.equal(typeof auth.uid, 'number');
    const els = await client.searchRead<{ id: number; name: string; phase_id: [number, string]; width: number | false }>(
      EL,
      DOMAIN,
      ['name', 'phase_id', 'width'],
      { order: 'name', limit: 50 },
    );
    assert.equal(els.length, expected);
    assert.ok(els.every((e) => Array.isArray(e.phase_id) && typeof e.phase_id[1] === 'string'));
    const [thumb] = await client.read<{ thumbnail: string }>(EL, els[0].id, ['thumbnail']);
    assert.equal(Buffer.from(thumb.thumbnail, 'base64').subarray(0, 8).toString('hex'), PNG_MAGIC);
    const runIds = (await client.action('logikal.project', 'action_force_sync', [projectId])) as unknown as number[];
    assert.equal(runIds.length, 1);
    const state = await until(async () => (await client.read<{ state: string }>('logikal.sync.run', runIds[0], ['state']))[0].state);
    assert.equal(state, 'succeeded');
    const [run] = await client.read<{ kind: string; project_id: [number, string]; requested_by: string }>('logikal.sync.run', runIds[0], [
      'kind',
      'project_id',
      'requested_by',
    ]);
    assert.equal(run.kind, 'force_project');
    assert.deepEqual(run.project_id, [projectId, 'DOS22309']);
    assert.equal(run.requested_by, 'bootstrap');
    // Errors reach the client as Odoo's data.message.
    await assert.rejects(client.searchRead(EL, [['nope', '=', 1]], ['name']), /Invalid field 'nope'/);
  });

  it('the xmlrpc client (as odoo-await uses it) over /xmlrpc/2: the same calls', async () => {
    const u = new URL(rig.bridge.url);
    const call = (service: string, method: string, params: unknown[]) =>
      new Promise<any>((resolve, reject) =>
        xmlrpc
          .createClient({ host: u.hostname, port: Number(u.port), path: `/xmlrpc/2/${service}` })
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- @types/xmlrpc types it Object; xmlrpc passes an Error
          .methodCall(method, params, (err, v) => (err ? reject(err) : resolve(v))),
      );
    const uid = await call('common', 'authenticate', ['logikal', 'odoo-addon', BOOTSTRAP_KEY, {}]);
    const kw = (model: string, method: string, args: unknown[], kwargs: object = {}) =>
      call('object', 'execute_kw', ['logikal', uid, BOOTSTRAP_KEY, model, method, args, kwargs]);
    const els = await kw(EL, 'search_read', [DOMAIN], { fields: ['name', 'width', 'height'], offset: 0, limit: 0, order: '', context: {} });
    assert.equal(els.length, expected);
    const [thumb] = await kw(EL, 'read', [[els[0].id]], { fields: ['thumbnail'] });
    assert.equal(Buffer.from(thumb.thumbnail, 'base64').subarray(0, 8).toString('hex'), PNG_MAGIC);
    const [runId] = await kw('logikal.project', 'action_smart_sync', [[projectId]]);
    assert.equal(await until(async () => (await kw('logikal.sync.run', 'read', [[runId]], { fields: ['state'] }))[0].state), 'succeeded');
    assert.equal((await kw('logikal.sync.run', 'read', [[runId]], { fields: ['kind'] }))[0].kind, 'project');
  });

  it('fetch over /json/2: the same calls', async () => {
    const post = async (model: string, method: string, body: object) => {
      const res = await fetch(`${rig.bridge.url}/json/2/${model}/${method}`, {
        method: 'POST',
        headers: { Authorization: `bearer ${BOOTSTRAP_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, `${model}.${method}`);
      return res.json() as Promise<any>;
    };
    const els = await post(EL, 'search_read', { domain: DOMAIN, fields: ['name'] });
    assert.equal(els.length, expected);
    const [thumb] = await post(EL, 'read', { ids: [els[0].id], fields: ['thumbnail'] });
    assert.equal(Buffer.from(thumb.thumbnail, 'base64').subarray(0, 8).toString('hex'), PNG_MAGIC);
    const [runId] = await post('logikal.project', 'action_force_sync', { ids: [projectId] });
    assert.equal(
      await until(async () => (await post('logikal.sync.run', 'read', { ids: [runId], fields: ['state'] }))[0].state),
      'succeeded',
    );
  });

  it('a button on a project the mirror does not have is a MissingError and starts nothing', async () => {
    const res = await fetch(`${rig.bridge.url}/json/2/logikal.project/action_force_sync`, {
      method: 'POST',
      headers: { Authorization: `bearer ${BOOTSTRAP_KEY}` },
      body: JSON.stringify({ ids: [projectId, 999999] }),
    });
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { name: string }).name, 'odoo.exceptions.MissingError');
  });
});
