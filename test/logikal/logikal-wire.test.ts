import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configureLogging } from '../../server/logging';
import { fixturesDir } from '../../server/paths';
import { LogikalClient } from '../../server/logikal/logikal-client';
import type { LogikalClientOptions } from '../../server/logikal/logikal-client';
import {
  LogikalError,
  LogikalLicenceExhaustedError,
  LogikalLockedError,
  LogikalNotInMappingError,
  LogikalProtocolError,
  LogikalServerError,
} from '../../server/logikal/logikal-errors';
import { SQLITE_MAGIC } from '../../server/logikal/download-checks';
import { NULL_GUID } from '../../server/logikal/logikal-types';

/**
 * A tiny server that behaves like a Logikal node behind a cookie-pinning load balancer and lets
 * each test choose a hostile answer the emulator does not produce.
 */
configureLogging({ level: 'error', production: false, silent: true });

const PASSWORD = 'pa55-w0rd-secret';
const PROJECT = randomUUID();
const ELEVATION = randomUUID();
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => boolean;

interface Seen {
  method: string;
  url: string;
  auth?: string;
  cookie?: string;
  accept?: string;
}
let server: Server;
let baseUrl = '';
let seen: Seen[] = [];
let override: Partial<Record<string, Handler>> = {};
const cookieOf = new Map<string, string>();
let loginCount = 0;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
  return true;
}
function fail(res: ServerResponse, status: number, message: string, errors: string[] = [message]): true {
  return json(res, status, { message, code: status, hints: [], warnings: [], errors });
}

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = (req.url ?? '').split('?')[0].replace(/^\/lb\/api\/v3/, '');
  const key = `${req.method} ${path}`;
  const custom = override[key];
  if (custom?.(req, res, body)) return;
  if (key === 'POST /auth') {
    const token = randomUUID();
    const cookie = `node${++loginCount}`;
    cookieOf.set(token, cookie);
    res.setHeader('set-cookie', `LB_ROUTE=${cookie}; Path=/; HttpOnly`);
    json(res, 200, { data: { username: 'odoo', token }, hints: [], warnings: [] });
    return;
  }
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  const pinned = token ? cookieOf.get(token) : undefined;
  // The "load balancer" only knows the session on the node its cookie points to.
  if (!pinned || req.headers.cookie !== `LB_ROUTE=${pinned}`) {
    fail(res, 401, 'Invalid session authentication identifier.');
    return;
  }
  if (key === 'DELETE /auth') {
    cookieOf.delete(token!);
    json(res, 200, { hints: [], warnings: [] });
    return;
  }
  if (key === 'GET /directories') {
    json(res, 200, { data: [] });
    return;
  }
  if (key === 'GET /projects') {
    json(res, 200, [{ id: PROJECT, name: 'X', unknownField: { deep: 1 } }]);
    return;
  }
  if (key === 'GET /phases') {
    json(res, 200, { data: [{ id: '', name: '' }], extra: true });
    return;
  }
  if (key.endsWith('/select')) {
    json(res, 200, { hints: [], warnings: [] });
    return;
  }
  if (key === 'GET /elevations/selected/parts-list') {
    const b = Buffer.alloc(8192);
    SQLITE_MAGIC.copy(b);
    json(res, 200, { data: b.toString('base64') });
    return;
  }
  fail(res, 404, 'Endpoint not found.');
}

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        auth: req.headers.authorization,
        cookie: req.headers.cookie,
        accept: req.headers.accept,
      });
      route(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/lb/api/v3/`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen = [];
  override = {};
});

function client(o: Partial<LogikalClientOptions> = {}): LogikalClient {
  return new LogikalClient({
    baseUrl,
    username: 'odoo',
    password: PASSWORD,
    maxSessions: 2,
    callTimeoutMs: 1000,
    backoffBaseMs: 1,
    backoffMaxMs: 10,
    ...o,
  });
}

const walkToElevation = { directory: 'A', projectId: PROJECT, phaseId: NULL_GUID, elevationId: ELEVATION };

test('cookie jar per session: each session sends back its own load-balancer cookie', async () => {
  const c = client();
  const [a, b] = await Promise.all(
    [0, 1].map(() =>
      c.withSession(async (s) => {
        const dirs = await s.listDirectories();
        await s.selectDirectory('A');
        return dirs;
      }),
    ),
  );
  assert.deepEqual([a, b], [[], []]);
  // GET /version (the login gate's probe) needs no session: no token, no cookie yet.
  const inSession = seen.filter((r) => !r.url.endsWith('/version') && !(r.method === 'POST' && r.url.endsWith('/auth')));
  const cookies = new Set(inSession.map((r) => r.cookie));
  assert.equal(cookies.size, 2, 'two sessions, two different pinned cookies');
  for (const r of seen) assert.ok(!r.url.includes('//'));
  for (const r of inSession) assert.match(r.auth ?? '', /^Bearer [0-9a-f-]{36}$/);
  assert.equal(c.stats().logouts, 2);
});

test('tolerant envelopes: bare list, extra fields, empty phase id = default phase', async () => {
  const out = await client().withSession(async (s) => {
    const dirs = await s.listDirectories();
    await s.selectDirectory('A');
    const projects = await s.listProjects();
    await s.selectProject(PROJECT);
    return { dirs, projects, phases: await s.listPhases() };
  });
  assert.deepEqual(out.dirs, []);
  assert.equal(out.projects[0].id, PROJECT);
  assert.equal(out.projects[0].createdDate, null);
  assert.deepEqual(out.phases, [{ id: NULL_GUID, name: '', description: null }]);
});

test('listings: data that is not a list, a bare JSON value, an item that is not an object → protocol errors', async () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ data: { id: PROJECT } }, /its data is not a list/],
    [{ data: 'none' }, /its data is not a list/],
    ['"[]"', /the body is not a JSON object/],
    [{ data: [{ id: PROJECT, name: 'X' }, null] }, /item 1 is not an object/],
  ];
  const c = client();
  for (const [body, reason] of cases) {
    override['GET /projects'] = (_q, res) => json(res, 200, body);
    await assert.rejects(
      c.withPath({ directory: 'A' }, (s) => s.listProjects()),
      (e: unknown) => e instanceof LogikalProtocolError && e.operation === 'GET /projects' && reason.test(e.message),
      String(reason),
    );
  }
  override['GET /projects'] = (_q, res) => json(res, 200, []);
  assert.deepEqual(await c.withPath({ directory: 'A' }, (s) => s.listProjects()), []);
});

test('thumbnail: all six query params, Accept image/*, truncated PNG rejected', async () => {
  const png = readFileSync(join(fixturesDir(), 'thumbnails', readdirSync(join(fixturesDir(), 'thumbnails'))[0]));
  let served = png;
  override[`GET /elevations/${ELEVATION}/thumbnail`] = (_q, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(served);
    return true;
  };
  const c = client();
  const phase = { directory: 'A', projectId: PROJECT, phaseId: NULL_GUID };
  assert.deepEqual(await c.withPath(phase, (s) => s.getThumbnail(ELEVATION)), png);
  const req = seen.find((r) => r.url.includes('/thumbnail'))!;
  assert.equal(req.accept, 'image/*');
  assert.equal(req.url.split('?')[1], 'width=300&height=300&format=PNG&view=Interior&withdimensions=true&withdescription=false');
  served = png.subarray(0, png.length - 20);
  await assert.rejects(
    c.withPath(phase, (s) => s.getThumbnail(ELEVATION)),
    (e: unknown) => e instanceof LogikalProtocolError && e.message.includes('no IEND'),
  );
});

test('parts list: bad base64, wrong magic, oversize, missing data, bad JSON → protocol errors', async () => {
  const sqlite = Buffer.alloc(4096);
  SQLITE_MAGIC.copy(sqlite);
  const b64 = sqlite.toString('base64');
  const cases: Array<[string, RegExp]> = [
    [JSON.stringify({ data: b64.slice(0, 100) + '\r\n' + b64.slice(100, -2) }), /invalid base64/],
    [JSON.stringify({ data: b64.slice(0, -3) }), /not a multiple of 4/],
    [JSON.stringify({ data: Buffer.from('PK\x03\x04 zip, not sqlite').toString('base64') }), /magic header missing/],
    [JSON.stringify({ data: 'A'.repeat(Math.ceil((10 * 1024 * 1024 + 1) / 3) * 4) }), /exceeds the cap of 10485760/],
    [JSON.stringify({ hints: [] }), /no data/],
    [JSON.stringify({ data: null }), /no data/],
    ['{"data": "U1FMaXRl', /not JSON/],
  ];
  const c = client();
  for (const [body, reason] of cases) {
    override['GET /elevations/selected/parts-list'] = (_q, res) => json(res, 200, body);
    const before = seen.length;
    await assert.rejects(
      c.withPath(walkToElevation, (s) => s.getPartsList()),
      (e: unknown) => e instanceof LogikalProtocolError && reason.test(e.message) && !e.transient,
      String(reason),
    );
    assert.equal(seen.slice(before).filter((r) => r.url.endsWith('parts-list')).length, 1, 'protocol errors are not retried');
  }
  delete override['GET /elevations/selected/parts-list'];
  const ok = await c.withPath(walkToElevation, (s) => s.getPartsList());
  assert.ok(ok.subarray(0, 16).equals(SQLITE_MAGIC));
  assert.equal(c.stats().open, 0);
});

test('409 is split on the primary reason field only: mapping vs locked', async () => {
  const mapping = "The requested resource 'A' cannot be set, because it isn't valid in the current mapping.";
  const locked =
    'The requested resource is locked, is in use by another user or the request cannot be performed due to the current resource state.';
  const cases: Array<[string[], string, new (...a: never[]) => LogikalError]> = [
    [[mapping], mapping, LogikalNotInMappingError],
    [[locked], locked, LogikalLockedError],
    // A user-named directory echoing the phrase inside another message must not flip the class.
    [[locked], `Directory "x isn't valid in the current mapping" is locked`, LogikalLockedError],
    [
      [`Project 'The requested resource 'A' cannot be set, because it isn't valid in the current mapping.' is locked`],
      '',
      LogikalLockedError,
    ],
    [[], mapping, LogikalNotInMappingError],
  ];
  const c = client({ retries: 0 });
  for (const [errors, message, cls] of cases) {
    override['POST /projects/select'] = (_q, res) => fail(res, 409, message, errors);
    await assert.rejects(
      c.withPath({ directory: 'A', projectId: PROJECT }, async () => 1),
      (e: unknown) => e instanceof cls && e.status === 409 && !e.local,
      cls.name,
    );
  }
  assert.equal(c.stats().open, 0);
});

test('licence refusals on login: 403/429/503 with a licence reason, Retry-After honoured but capped', async () => {
  for (const [status, message, headers] of [
    [403, 'The licence limit of 2 concurrent sessions has been reached.', {}],
    [503, 'No free licence available.', { 'retry-after': '3600' }],
    [429, 'Too many requests', { 'retry-after': '0' }],
  ] as Array<[number, string, Record<string, string>]>) {
    let refused = 0;
    override['POST /auth'] = (_q, res) => {
      refused++;
      json(res, status, { message, code: status, errors: [message] }, headers);
      return true;
    };
    const t0 = Date.now();
    await assert.rejects(
      client({ licenceAttempts: 3 }).withSession(async () => 1),
      (e: unknown) => e instanceof LogikalLicenceExhaustedError && e.status === status,
    );
    assert.equal(refused, 3);
    assert.ok(Date.now() - t0 < 1000, 'Retry-After is capped by backoffMaxMs');
  }
  // A 503 without a licence reason, while Logikal answers otherwise (GET /version: 404 here, an
  // answer all the same): no seat now, waited for like a licence refusal.
  let calls = 0;
  override['POST /auth'] = (_q, res) => (++calls < 3 ? fail(res, 503, 'Service Unavailable') : false);
  const c = client({ licenceAttempts: 3 });
  assert.equal(await c.withSession(async () => 'in'), 'in');
  assert.deepEqual([calls, c.stats().refusedLogins, c.stats().effectiveLimit], [3, 2, 2]);
  // When GET /version fails too, Logikal is down: no login at all, the fault itself after the retries.
  calls = 0;
  override['POST /auth'] = (_q, res) => (++calls, fail(res, 503, 'Service Unavailable'));
  override['GET /version'] = (_q, res) => fail(res, 503, 'Service Unavailable');
  const down = client({ retries: 1 });
  await assert.rejects(
    down.withSession(async () => 1),
    (e: unknown) => e instanceof LogikalServerError && e.operation === 'GET /version',
  );
  assert.deepEqual([calls, down.stats().loginAttempts, down.stats().refusedLogins], [0, 0, 0]);
});

test('error messages never carry the token or the password', async () => {
  override['GET /directories'] = (req, res, _b) => fail(res, 500, `boom for ${req.headers.authorization} with ${PASSWORD}`);
  const c = client({ retries: 0 });
  let token = '';
  await assert.rejects(
    c.withSession((s) => s.listDirectories()),
    (e: unknown) => {
      assert.ok(e instanceof LogikalServerError);
      const auth = seen.find((r) => r.url.endsWith('/directories'))!.auth!;
      token = auth.replace('Bearer ', '');
      const text = `${e.message} ${JSON.stringify(e.details)} ${e.stack}`;
      assert.ok(!text.includes(token), text);
      assert.ok(!text.includes(PASSWORD), text);
      return true;
    },
  );
  assert.ok(token.length > 0);
  override['POST /auth'] = (_q, res, body) => fail(res, 401, `bad login ${body}`);
  await assert.rejects(
    client().withSession(async () => 1),
    (e: unknown) => e instanceof LogikalError && !e.message.includes(PASSWORD),
  );
});
