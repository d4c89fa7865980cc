import { z } from 'zod';
import { AccessError, MethodNotFoundError, ValueError } from '../server/errors';
import { DEFAULT_CONTEXT, type OdooContext } from '../server/odoo/odoo-model.service';
import { syncStarterOf } from '../server/odoo/sync-starter';
import type { Scope } from '../entities';
import { requireScope, type Caller } from '../server/auth/api-key.service';
import type { CallContext } from './method-table';
import { irModelCallKw, isIrModel } from './ir-model.call-kw';
import { param, Params, unsetIfEmpty, type ParamShape, type ParamsOf } from './params';

/**
 * Odoo's call_kw for the logikal.* models: `context` is popped from kwargs, the rest is bound to
 * the method's signature like Python binds arguments (positional or keyword, a name given twice or
 * unknown is an error), with "", 0, false and null meaning "not set" where clients send them.
 */
interface OdooMethod {
  scope: Scope;
  /** Record methods (read, buttons) take the ids first; in JSON-2 they come as `ids`. */
  record: boolean;
  /** Binds args/kwargs to the method's params, then runs it. */
  call(model: string, args: unknown[], kwargs: Record<string, unknown>, odoo: OdooContext, ctx: CallContext): Promise<unknown>;
}

function modelMethod<S extends ParamShape>(
  scope: Scope,
  record: boolean,
  shape: S,
  run: (model: string, p: ParamsOf<S>, odoo: OdooContext, ctx: CallContext) => Promise<unknown>,
): OdooMethod {
  const params = new Params(shape);
  return { scope, record, call: (model, args, kwargs, o, ctx) => run(model, params.bind(args, kwargs), o, ctx) };
}

const IDS = { error: 'expected a record id or a list of ids' };
const FIELD_NAMES = { error: 'expected a list of field names' };
const id = z.int(IDS).positive(IDS);
const fieldNames = z.array(z.string(FIELD_NAMES), FIELD_NAMES).max(500, FIELD_NAMES);
const P = {
  domain: unsetIfEmpty(param.list()),
  fields: unsetIfEmpty(fieldNames),
  offset: unsetIfEmpty(param.integer()),
  limit: unsetIfEmpty(param.integer()),
  order: unsetIfEmpty(param.string()),
  load: param.any().optional(),
  /** A record id or a list of them; always a list for the handler. */
  ids: z.union([id.transform((i) => [i]), z.array(id, IDS).max(10_000, IDS)], IDS),
};

/** Odoo's load: '_classic_read' (the default) gives many2one pairs, anything else bare ids. */
const pairs = (load: unknown): boolean => load === undefined || load === '_classic_read';
const svc = (ctx: CallContext) => ctx.services.odoo;
const requestedBy = (ctx: CallContext) => ctx.caller?.name ?? 'odoo';

const METHODS: Record<string, OdooMethod> = {
  search_read: modelMethod(
    'read',
    false,
    { domain: P.domain, fields: P.fields, offset: P.offset, limit: P.limit, order: P.order, load: P.load },
    (model, p, o, ctx) => svc(ctx).searchRead(model, { ...p, pairs: pairs(p.load) }, o, ctx.responseBudget),
  ),
  read: modelMethod('read', true, { ids: P.ids, fields: P.fields, load: P.load }, (model, p, o, ctx) =>
    svc(ctx).read(model, p.ids, p.fields, o, ctx.responseBudget, pairs(p.load)),
  ),
  search: modelMethod(
    'read',
    false,
    { domain: P.domain, offset: P.offset, limit: P.limit, order: P.order, count: unsetIfEmpty(param.boolean()) },
    (model, p, o, ctx) =>
      p.count ? svc(ctx).searchCount(model, p.domain, undefined, o) : svc(ctx).search(model, p, o, ctx.responseBudget),
  ),
  search_count: modelMethod('read', false, { domain: P.domain, limit: P.limit }, (model, p, o, ctx) =>
    svc(ctx).searchCount(model, p.domain, p.limit, o),
  ),
  fields_get: modelMethod(
    'read',
    false,
    { allfields: unsetIfEmpty(fieldNames), attributes: unsetIfEmpty(fieldNames) },
    async (model, p, _o, ctx) => svc(ctx).fieldsGet(model, p.allfields, p.attributes),
  ),
  name_search: modelMethod(
    'read',
    false,
    { name: unsetIfEmpty(param.string()), domain: P.domain, operator: unsetIfEmpty(param.string()), limit: P.limit },
    (model, p, o, ctx) => svc(ctx).nameSearch(model, p, o, ctx.responseBudget),
  ),
  name_get: modelMethod('read', true, { ids: P.ids }, async (model, p, o, ctx) =>
    (await svc(ctx).read(model, p.ids, ['display_name'], o, ctx.responseBudget)).map((r) => [r.id, r.display_name]),
  ),
  action_force_sync: modelMethod('sync', true, { ids: P.ids }, (model, p, _o, ctx) =>
    svc(ctx).startProjectSyncs(model, p.ids, 'force', syncStarterOf(ctx.services), requestedBy(ctx)),
  ),
  action_smart_sync: modelMethod('sync', true, { ids: P.ids }, (model, p, _o, ctx) =>
    svc(ctx).startProjectSyncs(model, p.ids, 'smart', syncStarterOf(ctx.services), requestedBy(ctx)),
  ),
};

const WRITE_METHODS = new Set([
  'create',
  'write',
  'unlink',
  'copy',
  'toggle_active',
  'action_archive',
  'action_unarchive',
  'name_create',
  'load',
]);

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

const OdooContextSchema = z.object({ active_test: z.unknown().optional() });

export function odooContext(raw: unknown): OdooContext {
  if (raw === undefined || raw === null || raw === '' || raw === false || raw === 0) return DEFAULT_CONTEXT;
  const parsed = OdooContextSchema.safeParse(raw);
  if (!parsed.success) throw new ValueError('context: expected an object');
  return { activeTest: parsed.data.active_test !== false };
}

/** Runs a model method for an authenticated caller (object.execute_kw has set ctx.caller). */
export async function callKw(
  caller: Caller,
  model: string,
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  ctx: CallContext,
): Promise<unknown> {
  if (isIrModel(model)) return irModelCallKw(caller, method, args, kwargs, ctx);
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
  return def.call(model, args, rest, odooContext(context), ctx);
}
