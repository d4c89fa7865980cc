import type { Caller } from '../server/auth/api-key.service';
import { AccessDeniedError } from '../server/errors';
import { method, type CallContext, type MethodDef } from './method-table';
import { callKw } from './odoo-call-kw';
import { param } from './params';

/** The db argument must name this bridge's database (BRIDGE_DB_NAME), as Odoo routes by it. */
export function checkDb(db: string, ctx: CallContext): void {
  if (db !== ctx.services.config.dbName) throw new AccessDeniedError(`Access Denied: unknown database ${JSON.stringify(db.slice(0, 64))}`);
}

const head = { db: param.string(), uid: param.any(), password: param.any(), model: param.string(), method: param.string() };

async function authenticate(p: { db: string; uid: unknown; password: unknown }, ctx: CallContext): Promise<Caller> {
  checkDb(p.db, ctx);
  ctx.caller = await ctx.services.apiKeys.authenticateUid(p.uid, p.password);
  return ctx.caller;
}

/** object.execute's trailing positional args; Odoo's longest signature (search_read) has six. */
const arg = param.any().optional();
const VARARGS = { a0: arg, a1: arg, a2: arg, a3: arg, a4: arg, a5: arg, a6: arg, a7: arg };

export const objectMethods: MethodDef[] = [
  method({
    name: 'object.execute_kw',
    scope: 'self',
    params: { ...head, args: param.list().default([]), kwargs: param.object().default({}) },
    doc: 'execute_kw(db, uid, api_key, model, method, args, kwargs): the logikal.* models (search_read, read, search, search_count, fields_get, name_search; project buttons).',
    handler: async (p, ctx) => callKw(await authenticate(p, ctx), p.model, p.method, p.args, p.kwargs, ctx),
  }),
  method({
    name: 'object.execute',
    scope: 'self',
    params: { ...head, ...VARARGS },
    doc: 'execute(db, uid, api_key, model, method, *args): positional arguments only.',
    async handler(p, ctx) {
      const caller = await authenticate(p, ctx);
      // A null arg arrives as not given; Odoo reads it as "not set" anyway, so holes become undefined.
      const args = [p.a0, p.a1, p.a2, p.a3, p.a4, p.a5, p.a6, p.a7];
      while (args.length > 0 && args[args.length - 1] === undefined) args.pop();
      return callKw(caller, p.model, p.method, args, {}, ctx);
    },
  }),
];
