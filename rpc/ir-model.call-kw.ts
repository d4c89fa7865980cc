import { z } from 'zod';
import { requireScope, type Caller } from '../server/auth/api-key.service';
import { AccessError, MethodNotFoundError } from '../server/errors';
import { IR_MODEL, IrModel } from '../server/odoo/ir-model';
import type { OdooModelService } from '../server/odoo/odoo-model.service';
import type { CallContext } from './method-table';
import { param, Params, unsetIfEmpty, type ParamShape, type ParamsOf } from './params';

/**
 * call_kw for the read-only `ir.model` (server/odoo/ir-model.ts): the same argument binding, scope
 * (read) and errors as the logikal.* models, over the models this bridge serves.
 */
const fieldNames = unsetIfEmpty(z.array(z.string()).max(50));
const ids = z.union([
  z
    .int()
    .positive()
    .transform((i) => [i]),
  z.array(z.int().positive()).max(1000),
]);
const P = {
  domain: unsetIfEmpty(param.list()),
  offset: unsetIfEmpty(param.integer(0)),
  limit: unsetIfEmpty(param.integer(0)),
  order: unsetIfEmpty(param.string()),
};

type Handler = (ir: IrModel, args: unknown[], kwargs: Record<string, unknown>) => unknown;

function bound<S extends ParamShape>(shape: S, run: (ir: IrModel, p: ParamsOf<S>) => unknown): Handler {
  const params = new Params(shape);
  return (ir, args, kwargs) => run(ir, params.bind(args, kwargs));
}

const METHODS: Record<string, Handler> = {
  search_read: bound(
    { domain: P.domain, fields: fieldNames, offset: P.offset, limit: P.limit, order: P.order, load: param.any().optional() },
    (ir, p) => ir.search(p.domain, p).map((r) => ir.project(r, p.fields)),
  ),
  search: bound({ domain: P.domain, offset: P.offset, limit: P.limit, order: P.order, count: unsetIfEmpty(param.boolean()) }, (ir, p) =>
    p.count ? ir.search(p.domain).length : ir.search(p.domain, p).map((r) => r.id),
  ),
  search_count: bound({ domain: P.domain, limit: P.limit }, (ir, p) => Math.min(ir.search(p.domain).length, p.limit ?? Infinity)),
  read: bound({ ids, fields: fieldNames, load: param.any().optional() }, (ir, p) => ir.read(p.ids).map((r) => ir.project(r, p.fields))),
  fields_get: bound({ allfields: fieldNames, attributes: fieldNames }, (ir, p) => ir.fieldsGet(p.allfields, p.attributes)),
  name_search: bound(
    { name: unsetIfEmpty(param.string()), domain: P.domain, operator: unsetIfEmpty(param.string()), limit: P.limit },
    (ir, p) =>
      ir
        .search([...(p.domain ?? []), ['name', p.operator ?? 'ilike', p.name ?? '']], { limit: p.limit ?? 100 })
        .map((r) => [r.id, r.display_name]),
  ),
  name_get: bound({ ids }, (ir, p) => ir.read(p.ids).map((r) => [r.id, r.display_name])),
};

const cache = new WeakMap<OdooModelService, IrModel>();

function irModelOf(odoo: OdooModelService): IrModel {
  let ir = cache.get(odoo);
  if (!ir) {
    ir = new IrModel(odoo.registry.names().map((n): [string, string] => [n, odoo.registry.get(n)!.def.description]));
    cache.set(odoo, ir);
  }
  return ir;
}

export const isIrModel = (model: string): boolean => model === IR_MODEL;

export async function irModelCallKw(
  caller: Caller,
  method: string,
  args: unknown[],
  kwargs: Record<string, unknown>,
  ctx: CallContext,
): Promise<unknown> {
  requireScope(caller, 'read');
  if (method.startsWith('_')) throw new AccessError(`Private methods (such as ${method.slice(0, 64)}) cannot be called remotely.`);
  if (
    !Object.prototype.hasOwnProperty.call(METHODS, method) &&
    /^(create|write|unlink|copy|name_create|load|toggle_active|action_)/.test(method)
  )
    throw new AccessError(`${IR_MODEL} is read-only on the bridge: it lists the models it serves and accepts no ${method.slice(0, 64)}.`);
  const handler = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method] : undefined;
  if (!handler) throw new MethodNotFoundError(`The method '${method.slice(0, 64)}' does not exist on the model '${IR_MODEL}'`);
  const { context: _context, ...rest } = kwargs;
  return handler(irModelOf(ctx.services.odoo), args, rest);
}
