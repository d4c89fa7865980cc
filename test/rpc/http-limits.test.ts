import '../helpers/test-env';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MAX_BODY_BYTES } from '../../rpc/transports/http-server';
import { startTestApp, BOOTSTRAP_KEY, type TestApp } from '../helpers/test-app';

interface RawAnswer {
  head: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (we never do). */
  closedByServer: boolean;
}

/**
 * One HTTP/1.1 request over a bare socket, so that what the server does with the connection is
 * seen: `body` is sent as declared (Content-Length) or chunked; a server that stops reading may
 * reset the connection while we still write, which is expected here.
 */
function rawPost(
  url: string,
  path: string,
  body: Buffer,
  mode: 'declared' | 'chunked' | 'declared-only',
  extraHeaders = '',
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let ended = false;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer on ${path}: the connection hangs`));
    }, 20_000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('end', () => (ended = true));
    socket.on('error', () => undefined); // EPIPE/ECONNRESET while we still write: the server stopped reading
    socket.on('close', () => {
      clearTimeout(guard);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]),
      );
      resolve({ head, status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n'), closedByServer: ended });
    });
    socket.on('connect', () => {
      const common = `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${BOOTSTRAP_KEY}\r\n${extraHeaders}`;
      if (mode === 'chunked') {
        socket.write(`${common}Transfer-Encoding: chunked\r\n\r\n`);
        for (let off = 0; off < body.length; off += 65_536) {
          const part = body.subarray(off, off + 65_536);
          socket.write(`${part.length.toString(16)}\r\n`);
          socket.write(part);
          socket.write('\r\n');
        }
        socket.write('0\r\n\r\n');
      } else {
        socket.write(`${common}Content-Length: ${body.length}\r\n\r\n`);
        if (mode === 'declared') socket.write(body);
      }
    });
  });
}

const PATHS = ['/jsonrpc', '/xmlrpc/2/object', '/xmlrpc/2/common', '/json/2/logikal.elevation/search_read'];

describe('HTTP limits on every transport', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    await t.close();
  });

  const oversize = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);

  for (const path of PATHS) {
    it(`${path}: an oversize body is answered 413 and the connection closed, declared or chunked`, async () => {
      for (const mode of ['declared-only', 'declared', 'chunked'] as const) {
        const r = await rawPost(t.url, path, oversize, mode);
        assert.equal(r.status, 413, `${mode}: ${r.head}`);
        assert.equal(r.headers.connection, 'close', mode);
        assert.match(r.body, /exceeds 1048576 bytes/, mode);
        assert.ok(r.closedByServer, `${mode}: the server closes the connection`);
      }
    });
  }

  it('a body at the limit is read and parsed as usual', async () => {
    const r = await rawPost(t.url, '/jsonrpc', Buffer.alloc(MAX_BODY_BYTES, 0x20), 'declared', 'Connection: close\r\n');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).error.code, -32700, 'blank is not JSON, but it was read and parsed');
  });
});
