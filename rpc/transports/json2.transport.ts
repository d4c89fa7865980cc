import { AccessDeniedError, InvalidParamsError, MethodNotFoundError } from '../../server/errors';
import type { CallContext } from '../method-table';
import { isRecordMethod } from '../odoo-call-kw';
import { bearerKey, sendJson, type Route } from './http-server';
import { odooData, toWireError } from '../wire-errors';

const PREFIX = '/json/2/';
const NAME = /^[a-z_][a-z0-9_.]{0,127}$/;

/**
 * Odoo 19's JSON-2: POST /json/2/<model>/<method>, `Authorization: bearer <key>`, the body holds
 * the named arguments plus `ids` and `context`. Success is the bare result; an error is an HTTP
 * status with Odoo's {name, message, arguments, context, debug}. Translated onto the same
 * `common.authenticate` and `object.execute_kw` as the other wires.
 */
export const json2Route: Route = {
  method: 'POST',
  path: PREFIX,
  async handle(req, res, rctx) {
    const ctx: CallContext = {
      requestId: rctx.requestId,
      services: rctx.services,
      presentedKey: bearerKey(req),
      caller: null,
      transport: 'json2',
      responseBudget: rctx.responseBudget,
    };
    try {
      const [model, method, ...extra] = (req.url ?? '').split('?')[0].slice(PREFIX.length).split('/');
      if (!model || !method || extra.length || !NAME.test(model) || !NAME.test(method)) {
        throw new MethodNotFoundError('Not Found: use POST /json/2/<model>/<method>');
      }
      const raw = rctx.body;
      let body: unknown = {};
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new InvalidParamsError('The body is not valid JSON');
        }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new InvalidParamsError('The body must be a JSON object of named arguments');
      const header = req.headers['x-odoo-database'];
      const db = typeof header === 'string' && header ? header : rctx.services.config.dbName;
      const key = ctx.presentedKey ?? '';
      const uid = await rctx.dispatcher.call('common.authenticate', [db, 'json2', key, {}], ctx);
      if (uid === false) throw new AccessDeniedError('Access Denied: invalid API key');
      const { ids, ...named } = body as Record<string, unknown>;
      const args = isRecordMethod(method) ? [ids ?? []] : [];
      const result = await rctx.dispatcher.call('object.execute_kw', [db, uid, key, model, method, args, named], ctx);
      sendJson(res, 200, result ?? null);
    } catch (err) {
      const wire = toWireError(err, ctx.requestId);
      sendJson(res, wire.httpStatus, wire.data);
    }
  },
  tooLarge: (message) => ({
    contentType: 'application/json; charset=utf-8',
    text: JSON.stringify(odooData('builtins.ValueError', message)),
  }),
};
