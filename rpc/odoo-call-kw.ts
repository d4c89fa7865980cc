import { AccessError, MethodNotFoundError, ValueError } from '../server/errors';
import { DEFAULT_CONTEXT, type OdooContext } from '../server/odoo/odoo-model.service';
import { syncStarterOf } from '../server/odoo/sync-starter';
import type { Scope } from '../entities';
import { requireScope, type Caller } from '../server/auth/api-key.service';
import type { CallContext } from './method-table';
import { bindParams, type ParamSpec } from './params';

/**
 * Odoo's call_kw for the logikal.* models: `context` is popped from kwargs, the rest is bound to
 * the method's signature like Python binds arguments (positional or keyword, a name given twice or
 * unknown is an error), with "", 0, false and null meaning "not set" where clients send them.
 */
type Bound = Record<string, unknown>;

interface OdooMethod {
  scope: Scope;
  /** Record methods (read, buttons) take the ids first; in JSON-2 they come as `ids`. */
  record: boolean;
  params: ParamSpec[];
  run(model: string, p: Bound, odoo: OdooContext, ctx: CallContext): Promise<unknown>;
}

const positiveInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const idsCheck = (v: unknown): string | undefined =>
  positiveInt(v) || (Array.isArray(v) && v.length <= 10_000 && v.every(positiveInt)) ? undefined : 'expected a record id or a list of ids';
const stringList = (v: unknown): string | undefined =>
  Array.isArray(v) && v.length <= 500 && v.every((x) => typeof x === 'string') ? undefined : 'expected a list of field names';

const P = {
  domain: { name: 'domain', type: 'array', emptyMeansUnset: true } as ParamSpec,
  fields: { name: 'fields', type: 'array', emptyMeansUnset: true, check: stringList } as ParamSpec,
  offset: { name: 'offset', type: 'integer', emptyMeansUnset: true } as ParamSpec,
  limit: { name: 'limit', type: 'integer', emptyMeansUnset: true } as ParamSpec,
  order: { name: 'order', type: 'string', emptyMeansUnset: true } as ParamSpec,
  load: { name: 'load', type: 'any' } as ParamSpec,
  ids: { name: 'ids', type: 'any', required: true, check: idsCheck } as ParamSpec,
};

const idList = (v: unknown): number[] => (Array.isArray(v) ? (v as number[]) : [v as number]);
/** Odoo's load: '_classic_read' (the default) gives many2one pairs, anything else bare ids. */
const pairs = (load: unknown): boolean => load === undefined || load === '_classic_read';
const svc = (ctx: CallContext) => ctx.services.odoo;

const METHODS: Record<string, OdooMethod> = {
  search_read: {
    scope: 'read', record: false, params: [P.domain, P.fields, P.offset, P.limit, P.order, P.load],
    run: (model, p, o, ctx) => svc(ctx).searchRead(model, {
      domain: p.domain, fields: p.fields as string[] | undefined, offset: p.offset as number | undefined,
      limit: p.limit as number | undefined, order: p.order as string | undefined, pairs: pairs(p.load),
    }, o),
  },
  read: {
    scope: 'read', record: true, params: [P.ids, P.fields, P.load],
    run: (model, p, o, ctx) => svc(ctx).read(model, idList(p.ids), p.fields as string[] | undefined, o, pairs(p.load)),
  },
  search: {
    scope: 'read', record: false, params: [P.domain, P.offset, P.limit, P.order, { name: 'count', type: 'boolean', emptyMeansUnset: true }],
    run: (model, p, o, ctx) => (p.count
      ? svc(ctx).searchCount(model, p.domain, undefined, o)
      : svc(ctx).search(model, { domain: p.domain, offset: p.offset as number | undefined, limit: p.limit as number | undefined, order: p.order as string | undefined }, o)),
  },
  search_count: {
    scope: 'read', record: false, params: [P.domain, P.limit],
    run: (model, p, o, ctx) => svc(ctx).searchCount(model, p.domain, p.limit as number | undefined, o),
  },
  fields_get: {
    scope: 'read', record: false,
    params: [{ name: 'allfields', type: 'array', emptyMeansUnset: true, check: stringList }, { name: 'attributes', type: 'array', emptyMeansUnset: true, check: stringList }],
    run: async (model, p, _o, ctx) => svc(ctx).fieldsGet(model, p.allfields as string[] | undefined, p.attributes as string[] | undefined),
  },
  name_search: {
    scope: 'read', record: false,
    params: [{ name: 'name', type: 'string', emptyMeansUnset: true }, P.domain, { name: 'operator', type: 'string', emptyMeansUnset: true }, P.limit],
    run: (model, p, o, ctx) => svc(ctx).nameSearch(model, {
      name: p.name as string | undefined, domain: p.domain, operator: p.operator as string | undefined, limit: p.limit as number | undefined,
    }, o),
  },
  name_get: {
    scope: 'read', record: true, params: [P.ids],
    run: async (model, p, o, ctx) => (await svc(ctx).read(model, idList(p.ids), ['display_name'], o)).map((r) => [r.id, r.display_name]),
  },
  action_force_sync: {
    scope: 'sync', record: true, params: [P.ids],
    run: (model, p, _o, ctx) => svc(ctx).startProjectSyncs(model, idList(p.ids), 'force', syncStarterOf(ctx.services), ctx.caller?.name ?? 'odoo'),
  },
  action_smart_sync: {
    scope: 'sync', record: true, params: [P.ids],
    run: (model, p, _o, ctx) => svc(ctx).startProjectSyncs(model, idList(p.ids), 'smart', syncStarterOf(ctx.services), ctx.caller?.name ?? 'odoo'),
  },
};

const WRITE_METHODS = new Set(['create', 'write', 'unlink', 'copy', 'toggle_active', 'action_archive', 'action_unarchive', 'name_create', 'load']);

/** The method, or Odoo's error for a private, write or unknown one. */
export function odooMethod(model: string, method: string): OdooMethod {
  if (method.startsWith('_')) throw new AccessError(`Private methods (such as ${method.slice(0, 64)}) cannot be called remotely.`);
  if (WRITE_METHODS.has(method)) throw new AccessError(`${model} is read-only: the bridge mirrors LogiKal and accepts no ${method}.`);
  const def = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method] : undefined;
  if (!def || ((method === 'action_force_sync' || method === 'action_smart_sync') && model !== 'logikal.project')) {
    throw new MethodNotFoundError(`The method '${method.slice(0, 64)}' does not exist on the model '${model}'`);
  }
  return def;
}

/** For JSON-2, which sends record ids apart from the other arguments. */
export function isRecordMethod(method: string): boolean {
  return Object.prototype.hasOwnProperty.call(METHODS, method) && METHODS[method].record;
}

export function odooContext(raw: unknown): OdooContext {
  if (raw === undefined || raw === null || raw === '' || raw === false || raw === 0) return DEFAULT_CONTEXT;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ValueError('context: expected an object');
  return { activeTest: (raw as Record<string, unknown>).active_test !== false };
}

/** Runs a model method for an authenticated caller (object.execute_kw has set ctx.caller). */
export async function callKw(caller: Caller, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>, ctx: CallContext): Promise<unknown> {
  ctx.services.odoo.model(model);
  const def = odooMethod(model, method);
  requireScope(caller, def.scope);
  const { context, ...rest } = kwargs;
  if (method === 'name_search' && 'args' in rest) {
    // Odoo ≤16 called name_search's domain `args`.
    if ('domain' in rest) throw new ValueError('name_search: give either domain or args, not both');
    rest.domain = rest.args;
    delete rest.args;
  }
  const bound = bindParams(def.params, args, rest);
  return def.run(model, bound, odooContext(context), ctx);
}
