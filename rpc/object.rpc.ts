import { AccessDeniedError, InvalidParamsError } from '../server/errors';
import { method, type CallContext, type MethodDef } from './method-table';
import { callKw } from './odoo-call-kw';

/** The db argument must name this bridge's database (BRIDGE_DB_NAME), as Odoo routes by it. */
export function checkDb(db: unknown, ctx: CallContext): void {
  if (db !== ctx.services.config.dbName) throw new AccessDeniedError(`Access Denied: unknown database ${JSON.stringify(String(db).slice(0, 64))}`);
}

async function authenticate(p: Record<string, unknown>, ctx: CallContext): Promise<void> {
  checkDb(p.db, ctx);
  ctx.caller = await ctx.services.apiKeys.authenticateUid(p.uid, p.password);
}

const head = [
  { name: 'db', type: 'string' as const, required: true },
  { name: 'uid', type: 'any' as const, required: true },
  { name: 'password', type: 'any' as const, required: true },
  { name: 'model', type: 'string' as const, required: true },
  { name: 'method', type: 'string' as const, required: true },
];

/** object.execute's trailing positional args; Odoo's longest signature (search_read) has six. */
const VARARGS = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];

export const objectMethods: MethodDef[] = [
  method({
    name: 'object.execute_kw',
    scope: 'self',
    params: [...head, { name: 'args', type: 'array' }, { name: 'kwargs', type: 'any' }],
    doc: 'execute_kw(db, uid, api_key, model, method, args, kwargs): the logikal.* models (search_read, read, search, search_count, fields_get, name_search; project buttons).',
    async handler(p, ctx) {
      await authenticate(p, ctx);
      const kwargs = p.kwargs ?? {};
      if (typeof kwargs !== 'object' || Array.isArray(kwargs)) throw new InvalidParamsError('param "kwargs": expected an object');
      return callKw(ctx.caller!, p.model as string, p.method as string, (p.args as unknown[] | undefined) ?? [], kwargs as Record<string, unknown>, ctx);
    },
  }),
  method({
    name: 'object.execute',
    scope: 'self',
    params: [...head, ...VARARGS.map((name) => ({ name, type: 'any' as const }))],
    doc: 'execute(db, uid, api_key, model, method, *args): positional arguments only.',
    async handler(p, ctx) {
      await authenticate(p, ctx);
      // bindParams drops nulls; Odoo reads them as "not set" anyway, so holes become undefined.
      let last = VARARGS.length - 1;
      while (last >= 0 && !(VARARGS[last] in p)) last--;
      const args = VARARGS.slice(0, last + 1).map((n) => p[n]);
      return callKw(ctx.caller!, p.model as string, p.method as string, args, {}, ctx);
    },
  }),
];
