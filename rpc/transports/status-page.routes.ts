import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { requireScope, type Caller } from '../../server/auth/api-key.service';
import { AccessDeniedError, AccessError, InvalidParamsError, NotFoundError } from '../../server/errors';
import { repoRoot } from '../../server/paths';
import type { StatusService } from '../../server/web/status.service';
import { csrfMatches, type WebSession, type WebSessions } from '../../server/web/web-sessions';
import { toWireError } from '../wire-errors';
import { cookieOf, setCookie } from './cookies';
import { sendJson, type Route, type RouteContext } from './http-server';

/**
 * The read-only status page at `/` and the JSON it reads under /status/api/. Sign-in trades an API
 * key (read scope or more) for an HttpOnly, SameSite=Strict cookie; the key is sent once in a POST
 * body and never stored. Every state-changing POST carries the session's CSRF token in a header and,
 * when the browser sends one, a same-origin Origin.
 */
const COOKIE = 'lkb_status';
export const STATUS_SESSION_IDLE_MS = 8 * 3600_000;
const API = '/status/api/';
const CSRF_HEADER = 'x-csrf-token';

const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** The page's files: a fixed list, never a path taken from the URL. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'web/status.html', type: 'text/html; charset=utf-8' },
  '/status/assets/status.css': { file: 'web/status.css', type: 'text/css; charset=utf-8' },
  '/status/assets/status-page.js': { file: 'dist/web/status-page.js', type: 'text/javascript; charset=utf-8' },
};
const assetCache = new Map<string, Buffer>();

function asset(path: string): { body: Buffer; type: string } | null {
  const a = Object.prototype.hasOwnProperty.call(ASSETS, path) ? ASSETS[path] : undefined;
  if (!a) return null;
  let body = assetCache.get(a.file);
  if (!body) {
    body = readFileSync(join(repoRoot(), a.file));
    assetCache.set(a.file, body);
  }
  return { body, type: a.type };
}

function serveAsset(path: string, res: ServerResponse): void {
  const a = asset(path);
  if (!a) {
    sendJson(res, 404, { error: 'not found', path });
    return;
  }
  res.writeHead(200, { 'Content-Type': a.type, 'Content-Length': a.body.length, 'Cache-Control': 'no-cache', ...PAGE_HEADERS });
  res.end(a.body);
}

interface PageCall {
  req: IncomingMessage;
  res: ServerResponse;
  rctx: RouteContext;
  path: string;
}

/** The JSON answer of a page call, or an error mapped through the one error mapping. */
async function answer(
  res: ServerResponse,
  requestId: string,
  fn: () => Promise<unknown>,
  headers: Record<string, string> = {},
): Promise<void> {
  try {
    sendJson(res, 200, await fn(), { 'Cache-Control': 'no-store', ...PAGE_HEADERS, ...headers });
  } catch (err) {
    const wire = toWireError(err, requestId);
    sendJson(res, wire.httpStatus, { error: wire.message }, { 'Cache-Control': 'no-store', ...PAGE_HEADERS });
  }
}

/** A POST from this page: same origin when the browser says where it comes from. */
function checkOrigin(req: IncomingMessage): void {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') throw new AccessError('Cross-site request refused');
  if (origin === undefined) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw new AccessError('Cross-site request refused');
  }
  if (host !== req.headers.host) throw new AccessError('Cross-site request refused');
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* answered below */
  }
  throw new InvalidParamsError('The body must be a JSON object');
}

export function statusPageRoutes(status: StatusService, sessions: WebSessions): Route[] {
  const session = async (req: IncomingMessage): Promise<{ session: WebSession; caller: Caller }> => {
    const live = await sessions.resolve(cookieOf(req, COOKIE));
    if (!live) throw new AccessDeniedError('Not signed in');
    return live;
  };
  const sessionState = (s: WebSession, caller: Caller): Record<string, unknown> => ({
    signed_in: true,
    name: caller.name,
    scopes: caller.scopes,
    csrf_token: s.csrfToken,
  });

  const gets: Record<string, (c: PageCall) => Promise<unknown>> = {
    async session({ req }) {
      const live = await sessions.resolve(cookieOf(req, COOKIE));
      return live ? sessionState(live.session, live.caller) : { signed_in: false };
    },
    async overview({ req }) {
      await session(req);
      return status.overview();
    },
  };

  async function signIn({ req, res, rctx }: PageCall): Promise<void> {
    await answer(res, rctx.requestId, async () => {
      checkOrigin(req);
      const { key } = parseJsonObject(rctx.body);
      let caller: Caller;
      try {
        caller = await rctx.services.apiKeys.authenticate(typeof key === 'string' ? key.trim() : undefined);
        requireScope(caller, 'read');
      } catch (err) {
        // A refused key is an answer, not a failure: the page says so (and the browser logs no error).
        if (err instanceof AccessDeniedError)
          return { signed_in: false, message: 'That API key was not accepted (it needs the read scope).' };
        throw err;
      }
      const opened = sessions.open(caller, caller.name);
      res.setHeader('Set-Cookie', setCookie(COOKIE, opened.sid, { sameSite: 'Strict', maxAge: STATUS_SESSION_IDLE_MS / 1000 }));
      return sessionState(opened.session, caller);
    });
  }

  /** POSTs that act on a signed-in session: CSRF token and origin first. */
  async function act(c: PageCall, fn: (caller: Caller) => Promise<unknown>): Promise<void> {
    await answer(c.res, c.rctx.requestId, async () => {
      checkOrigin(c.req);
      const live = await session(c.req);
      const token = c.req.headers[CSRF_HEADER];
      if (!csrfMatches(live.session, typeof token === 'string' ? token : undefined)) throw new AccessError('Missing or wrong CSRF token');
      return fn(live.caller);
    });
  }

  return [
    { method: 'GET', path: '/', handle: async (_req, res) => serveAsset('/', res) },
    { method: 'GET', path: '/status/assets/', handle: async (req, res) => serveAsset((req.url ?? '').split('?')[0], res) },
    {
      method: 'GET',
      path: API,
      async handle(req, res, rctx) {
        const path = (req.url ?? '').split('?')[0].slice(API.length);
        const thumb = /^thumbnails\/(\d{1,9})$/.exec(path);
        if (thumb) return thumbnail(req, res, rctx, Number(thumb[1]));
        const project = /^projects\/(\d{1,9})$/.exec(path);
        if (project) {
          return answer(res, rctx.requestId, async () => {
            await session(req);
            return status.project(Number(project[1]));
          });
        }
        const get = Object.prototype.hasOwnProperty.call(gets, path) ? gets[path] : undefined;
        if (!get) return answer(res, rctx.requestId, () => Promise.reject(new NotFoundError(`No such page data: ${path.slice(0, 64)}`)));
        return answer(res, rctx.requestId, () => get({ req, res, rctx, path }));
      },
    },
    {
      method: 'POST',
      path: API,
      async handle(req, res, rctx) {
        const path = (req.url ?? '').split('?')[0].slice(API.length);
        const c: PageCall = { req, res, rctx, path };
        if (path === 'session') return signIn(c);
        if (path === 'session/end') {
          return act(c, async () => {
            sessions.end(cookieOf(req, COOKIE));
            res.setHeader('Set-Cookie', setCookie(COOKIE, '', { sameSite: 'Strict', maxAge: 0 }));
            return { signed_in: false };
          });
        }
        const sync = /^projects\/(\d{1,9})\/sync$/.exec(path);
        if (sync) {
          return act(c, async (caller) => {
            requireScope(caller, 'sync');
            const mode = parseJsonObject(rctx.body).mode;
            if (mode !== 'force' && mode !== 'smart') throw new InvalidParamsError('mode: expected "force" or "smart"');
            return rctx.services.sync.startStoredProject(Number(sync[1]), mode, caller.name);
          });
        }
        return answer(res, rctx.requestId, () => Promise.reject(new NotFoundError(`No such action: ${path.slice(0, 64)}`)));
      },
    },
  ];

  async function thumbnail(req: IncomingMessage, res: ServerResponse, rctx: RouteContext, elevationId: number): Promise<void> {
    try {
      await session(req);
      const img = await status.thumbnail(elevationId);
      if (!img) throw new NotFoundError(`Elevation ${elevationId} has no thumbnail`);
      res.writeHead(200, {
        'Content-Type': img.contentType,
        'Content-Length': img.bytes.length,
        'Cache-Control': 'private, max-age=300',
        ...PAGE_HEADERS,
      });
      res.end(img.bytes);
    } catch (err) {
      const wire = toWireError(err, rctx.requestId);
      sendJson(res, wire.httpStatus, { error: wire.message }, PAGE_HEADERS);
    }
  }
}
