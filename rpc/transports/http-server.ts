import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AppServices } from '../../server/app-services';
import { getLogger } from '../../server/logging';
import { ResponseBudget } from '../../server/response-budget';
import type { Dispatcher } from '../dispatcher';
import { JsonRpcTransport } from './jsonrpc.transport';
import { protocolError } from '../wire-errors';

const log = getLogger('http');

export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {}

/** Reads a request body, refusing (before any parsing) anything over the cap. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(new BodyTooLargeError());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.pause();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The Bearer key of a request, if any. */
export function bearerKey(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : undefined;
}

export interface RouteContext {
  requestId: string;
  services: AppServices;
  dispatcher: Dispatcher;
  /** The request body, read and size-checked by the server before the route runs (empty for GET). */
  body: Buffer;
  /** What the answer may grow to (RESPONSE_MAX_BYTES): one per request, shared by a batch's calls. */
  responseBudget: ResponseBudget;
}

/** A transport mounted on a path. */
export interface Route {
  method: 'GET' | 'POST';
  /** Exact path, or a prefix ending in '/' ('/' itself is exact). */
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, ctx: RouteContext): Promise<void>;
  /** The route's wording of "body too large"; the server sends it with 413 and closes the connection. */
  tooLarge?(message: string): { contentType: string; text: string };
}

const TOO_LARGE = `Request body exceeds ${MAX_BODY_BYTES} bytes`;

/**
 * Every POST route answers an oversize body alike, before anything parses it: 413 and
 * `Connection: close`, as the rest of the body is never read.
 */
function refuseTooLarge(route: Route, res: ServerResponse): void {
  const { contentType, text } = route.tooLarge?.(TOO_LARGE) ?? {
    contentType: 'application/json; charset=utf-8',
    text: JSON.stringify({ jsonrpc: '2.0', id: null, error: protocolError(-32600, TOO_LARGE) }),
  };
  res.writeHead(413, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.end(text);
}

const NO_BODY = Buffer.alloc(0);

/** A route serves its exact path, or everything under it when its path ends in '/' (but '/' alone is the page, not a catch-all). */
const mounts = (r: Route, path: string): boolean => path === r.path || (r.path !== '/' && r.path.endsWith('/') && path.startsWith(r.path));

/**
 * The bridge's one HTTP listener: POST /jsonrpc, GET /health, and whatever other transports are
 * mounted (XML-RPC, JSON-2). Routing and body limits live here; protocol logic in each transport.
 */
export function createHttpServer(services: AppServices, dispatcher: Dispatcher, extraRoutes: Route[] = []): Server {
  const jsonrpc = new JsonRpcTransport(dispatcher);
  const routes: Route[] = [
    {
      method: 'POST',
      path: '/jsonrpc',
      async handle(req, res, ctx) {
        const out = await jsonrpc.handle(ctx.body.toString('utf8'), {
          requestId: ctx.requestId,
          presentedKey: bearerKey(req),
          services: ctx.services,
          responseBudget: ctx.responseBudget,
        });
        if (out === undefined) {
          res.writeHead(204).end();
          return;
        }
        sendJson(res, 200, out);
      },
    },
    {
      method: 'GET',
      path: '/health',
      async handle(_req, res, ctx) {
        // Open to anyone (load balancers): what LogiKal is and how it behaves stays behind a key (system.health).
        const { logikal_capabilities: _behindAKey, ...h } = await ctx.services.system.health();
        sendJson(res, h.ok ? 200 : 503, h);
      },
    },
    ...extraRoutes,
  ];

  const server = createServer((req, res) => {
    const requestId = randomUUID().slice(0, 8);
    res.setHeader('X-Request-Id', requestId);
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => mounts(r, path) && r.method === req.method) ?? routes.find((r) => mounts(r, path));
    if (!route) {
      sendJson(res, 404, { error: 'not found', path });
      return;
    }
    if (route.method !== req.method) {
      sendJson(res, 405, { error: `use ${route.method}` }, { Allow: route.method });
      return;
    }
    const serve = async (): Promise<void> => {
      let body: Buffer = NO_BODY;
      if (req.method === 'POST') {
        try {
          body = await readBody(req);
        } catch (err) {
          if (err instanceof BodyTooLargeError) return refuseTooLarge(route, res);
          throw err;
        }
      }
      const responseBudget = new ResponseBudget(services.config.responseMaxBytes);
      await route.handle(req, res, { requestId, services, dispatcher, body, responseBudget });
    };
    serve().catch((err: unknown) => {
      log.error('unhandled transport error', { requestId, path, error: err });
      if (!res.headersSent)
        sendJson(res, 500, { jsonrpc: '2.0', id: null, error: protocolError(-32603, `Internal error (request ${requestId})`) });
      else res.destroy();
    });
  });
  // Slow clients must not hold sockets forever.
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
