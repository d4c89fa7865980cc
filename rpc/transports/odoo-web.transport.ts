import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../server/auth/api-key.service';
import { AccessDeniedError, InvalidParamsError, MethodNotFoundError, SessionExpiredError } from '../../server/errors';
import type { WebSessions } from '../../server/web/web-sessions';
import { odooVersion } from '../common.rpc';
import type { CallContext } from '../method-table';
import { callKw } from '../odoo-call-kw';
import { odooServerError, protocolError, toWireError } from '../wire-errors';
import { cookieOf, setCookie } from './cookies';
import { sendJson, type Route, type RouteContext } from './http-server';

/** Odoo's cookie name: web clients that look for it find it. */
const COOKIE = 'session_id';
/** Odoo's session lifetime. */
export const ODOO_SESSION_IDLE_MS = 7 * 24 * 3600_000;

type Params = Record<string, unknown>;

interface WebCall {
  req: IncomingMessage;
  params: Params;
  ctx: CallContext;
  rctx: RouteContext;
  sessions: WebSessions;
  /** Headers to send with the answer (Set-Cookie). */
  headers: Record<string, string>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Odoo's session_info, as much of it as callers read: who is signed in, where, and the user context. */
function sessionInfo(caller: Caller, login: string, db: string): Params {
  const v = odooVersion();
  return {
    uid: caller.keyId,
    is_system: false,
    is_admin: false,
    user_context: { lang: 'en_US', tz: 'UTC', uid: caller.keyId },
    db,
    server_version: v.server_version,
    server_version_info: v.server_version_info,
    name: caller.name,
    username: login,
    partner_display_name: caller.name,
    partner_id: false,
    company_id: false,
  };
}

async function signedIn(call: WebCall): Promise<{ caller: Caller; login: string }> {
  const live = await call.sessions.resolve(cookieOf(call.req, COOKIE));
  if (!live) throw new SessionExpiredError('Session expired');
  call.ctx.caller = live.caller;
  return { caller: live.caller, login: live.session.login };
}

const ROUTES: Record<string, (call: WebCall) => Promise<unknown>> = {
  '/web/webclient/version_info': async () => odooVersion(),

  async '/web/session/authenticate'({ params, ctx, rctx, sessions, headers }) {
    const db = str(params.db);
    const login = str(params.login);
    const uid = await rctx.dispatcher.call('common.authenticate', [db, login, params.password, {}], ctx);
    if (uid === false || !ctx.caller) throw new AccessDeniedError('Access Denied');
    const { sid } = sessions.open(ctx.caller, login);
    headers['Set-Cookie'] = setCookie(COOKIE, sid, { sameSite: 'Lax', maxAge: ODOO_SESSION_IDLE_MS / 1000 });
    return sessionInfo(ctx.caller, login, db);
  },

  async '/web/session/get_session_info'(call) {
    const { caller, login } = await signedIn(call);
    return sessionInfo(caller, login, call.rctx.services.config.dbName);
  },

  async '/web/session/destroy'({ req, sessions, headers }) {
    sessions.end(cookieOf(req, COOKIE));
    headers['Set-Cookie'] = setCookie(COOKIE, '', { sameSite: 'Lax', maxAge: 0 });
    return null;
  },

  async '/web/dataset/call_kw'(call) {
    const { params, ctx, rctx } = call;
    const { caller } = await signedIn(call);
    const { model, method, args = [], kwargs = {} } = params;
    if (typeof model !== 'string' || typeof method !== 'string')
      throw new InvalidParamsError('call_kw needs params {model, method, args, kwargs}');
    if (!Array.isArray(args)) throw new InvalidParamsError('param "args": expected a list');
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))
      throw new InvalidParamsError('param "kwargs": expected an object');
    return rctx.dispatcher.observe('web.call_kw', `web.call_kw ${model.slice(0, 64)}.${method.slice(0, 64)}`, ctx, () =>
      callKw(caller, model, method, args, kwargs as Params, ctx),
    );
  },
};

/**
 * Odoo's web-session API (what OdooRPC and browser-style clients use): sign in with
 * {db, login, password = an API key} for a `session_id` cookie, then `/web/dataset/call_kw` over
 * it, with the same scopes and errors as `object.execute_kw`. JSON only: a cross-site form cannot
 * send `application/json` without a CORS preflight, which the bridge never grants (Odoo's own CSRF
 * stance for its JSON routes).
 */
export function odooWebRoute(sessions: WebSessions): Route {
  return {
    method: 'POST',
    path: '/web/',
    async handle(req, res, rctx) {
      const path = (req.url ?? '').split('?')[0].replace(/^(\/web\/dataset\/call_kw)\/.*$/, '$1');
      const route = Object.prototype.hasOwnProperty.call(ROUTES, path) ? ROUTES[path] : undefined;
      if (!route) {
        const wire = toWireError(new MethodNotFoundError('404: Not Found'), rctx.requestId);
        sendJson(res, 404, { jsonrpc: '2.0', id: null, error: { code: 404, message: '404: Not Found', data: wire.data } });
        return;
      }
      if (!/^application\/(json|json-rpc)\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        sendJson(res, 415, { jsonrpc: '2.0', id: null, error: protocolError(-32600, 'Send the request as application/json') });
        return;
      }
      let body: unknown;
      try {
        body = rctx.body.length ? JSON.parse(rctx.body.toString('utf8')) : {};
      } catch {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Invalid JSON data');
        return;
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Invalid JSON-RPC data');
        return;
      }
      const { id = null, params = {} } = body as Params;
      const ctx: CallContext = {
        requestId: rctx.requestId,
        services: rctx.services,
        caller: null,
        transport: 'web',
        responseBudget: rctx.responseBudget,
      };
      const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
      try {
        if (typeof params !== 'object' || params === null || Array.isArray(params))
          throw new InvalidParamsError('params: expected an object');
        const result = await route({ req, params: params as Params, ctx, rctx, sessions, headers });
        sendJson(res, 200, { jsonrpc: '2.0', id, result: result ?? null }, headers);
      } catch (err) {
        sendJson(res, 200, { jsonrpc: '2.0', id, error: odooServerError(toWireError(err, rctx.requestId)) }, headers);
      }
    },
  };
}

/** Odoo 19's GET /web/version. */
export const webVersionRoute: Route = {
  method: 'GET',
  path: '/web/version',
  async handle(_req: IncomingMessage, res: ServerResponse) {
    const v = odooVersion();
    sendJson(res, 200, { version_info: v.server_version_info, version: v.server_version });
  },
};
