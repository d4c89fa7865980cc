import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { SyncResult } from '../../server/sync/types';
import { assertInvariants, closeAll, DEMO, EMU_PREFIX, mirrorSnapshot, Rig } from './harness';
import { freePort } from '../../bench/bench-processes';

/** The contract: a force sync against a LogiKal that is down fails within this, after at most MAX_LOGINS login attempts. */
const FAIL_WITHIN_MS = 15_000;
const MAX_LOGINS = 3;

interface StandIn {
  url: string;
  /** Connections accepted (reset server) or POST /auth requests answered (503 server). */
  attempts(): number;
  close(): Promise<void>;
}

/** A LogiKal host whose service is gone: every connection is accepted, counted and reset. */
async function resettingHost(port = 0): Promise<StandIn> {
  let n = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    n++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.resetAndDestroy();
  });
  await new Promise<void>((res, rej) => server.once('error', rej).listen(port, '127.0.0.1', res));
  const { port: bound } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${bound}${EMU_PREFIX}`,
    attempts: () => n,
    close: () => new Promise((res) => server.close(() => res())),
  };
}

/** IIS with the MBIOE app pool stopped: every request answered 503 with IIS's HTML page. */
async function unavailableHost(): Promise<StandIn> {
  let logins = 0;
  const server = createHttpServer((req, res) => {
    if (req.method === 'POST' && req.url?.endsWith('/auth')) logins++;
    req.resume();
    res.writeHead(503, { 'Content-Type': 'text/html' });
    res.end('<html><body><h1>Service Unavailable</h1><hr><p>HTTP Error 503. The service is unavailable.</p></body></html>');
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}${EMU_PREFIX}`,
    attempts: () => logins,
    close: () => new Promise((res) => server.close(() => res())),
  };
}

/** A force sync that must fail: the run's message (or the RPC error's) and how long the answer took. */
async function failingForceSync(rig: Rig): Promise<{ state: string; message: string; ms: number }> {
  const t0 = Date.now();
  const reply = await rig.bridge.call<SyncResult>(
    'sync.force_project',
    { project_id: 'DOS22309', directory_id: DEMO, wait_seconds: 60 },
    { timeoutMs: 90_000 },
  );
  const ms = Date.now() - t0;
  if (reply.error) return { state: 'rpc error', message: reply.error.data?.message ?? reply.error.message, ms };
  return { state: reply.result!.state, message: reply.result!.message, ms };
}

function assertClearFailure(r: { state: string; message: string; ms: number }): void {
  assert.ok(r.state === 'failed' || r.state === 'rpc error', `the sync fails, got ${r.state}: ${r.message}`);
  assert.match(r.message, /logikal/i, `the message names LogiKal: ${r.message}`);
  assert.match(r.message, /unreachable|down|unavailable|refused|reset|connect|circuit|not (respond|answer)|503/i, r.message);
  assert.ok(r.ms < FAIL_WITHIN_MS, `answered after ${r.ms} ms, not within ${FAIL_WITHIN_MS} ms`);
}

describe('LogiKal down: a force sync fails fast with a clear message and no login storm', () => {
  const standIns: StandIn[] = [];
  after(async () => {
    await Promise.all(standIns.map((s) => s.close()));
    await closeAll();
  });

  it('the emulator is killed after a good sync; its port then resets every connection', { timeout: 120_000 }, async () => {
    const rig = await Rig.start();
    const first = await rig.bridge.forceSync('DOS22309');
    assert.equal(first.state, 'succeeded', first.message);
    const stored = await rig.withDb(mirrorSnapshot);
    await rig.emu.child.kill9();
    const host = await resettingHost(Number(new URL(rig.emu.url).port));
    standIns.push(host);

    const r = await failingForceSync(rig);
    assertClearFailure(r);
    assert.ok(host.attempts() <= MAX_LOGINS, `${host.attempts()} connection attempts, at most ${MAX_LOGINS}`);
    await assertInvariants(rig, stored);
  });

  it('LogiKal answers 503 to everything (app pool stopped) from the start', { timeout: 120_000 }, async () => {
    const host = await unavailableHost();
    standIns.push(host);
    const rig = await Rig.start({ noEmulator: true, logikalUrl: host.url });
    const r = await failingForceSync(rig);
    assertClearFailure(r);
    assert.ok(host.attempts() <= MAX_LOGINS, `${host.attempts()} login attempts, at most ${MAX_LOGINS}`);
    // While it stays down, the next force sync fails as fast and adds no storm of its own.
    const before = host.attempts();
    const again = await failingForceSync(rig);
    assertClearFailure(again);
    assert.ok(host.attempts() - before <= MAX_LOGINS, `${host.attempts() - before} more login attempts`);
    await assertInvariants(rig);
  });

  it('nothing listens at the LogiKal address at all', { timeout: 120_000 }, async () => {
    const rig = await Rig.start({ noEmulator: true, logikalUrl: `http://127.0.0.1:${await freePort()}${EMU_PREFIX}` });
    assertClearFailure(await failingForceSync(rig));
    await assertInvariants(rig);
  });
});
