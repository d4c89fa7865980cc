import { NotFoundError, ValueError } from '../errors';
import { parseDomain, show, type DomainNode } from './domain-parser';
import { likeMatch } from './sqlite-functions';

/**
 * Odoo's `ir.model`, read-only and in memory: one record per model the bridge serves (and itself),
 * so that clients which check a model exists before using it (OdooRPC's `'logikal.project' in
 * odoo.env` searches `ir.model` by `model`) work. Nothing here touches the database.
 */
export const IR_MODEL = 'ir.model';

export interface IrModelRecord {
  id: number;
  model: string;
  name: string;
  state: 'base';
  transient: false;
  display_name: string;
}

type FieldName = keyof IrModelRecord;

const FIELDS: Record<FieldName, { type: string; string: string }> = {
  id: { type: 'integer', string: 'ID' },
  model: { type: 'char', string: 'Model' },
  name: { type: 'char', string: 'Model Description' },
  state: { type: 'selection', string: 'Type' },
  transient: { type: 'boolean', string: 'Transient Model' },
  display_name: { type: 'char', string: 'Display Name' },
};

const isField = (f: string): f is FieldName => Object.prototype.hasOwnProperty.call(FIELDS, f);

export class IrModel {
  private readonly records: IrModelRecord[];

  /** `models`: [technical name, description] of every model served; ids follow the names' order. */
  constructor(models: Array<[string, string]>) {
    const all: Array<[string, string]> = [[IR_MODEL, 'Models'], ...models];
    all.sort((a, b) => a[0].localeCompare(b[0]));
    this.records = all.map(([model, name], i) => ({ id: i + 1, model, name, state: 'base', transient: false, display_name: name }));
  }

  search(domain: unknown, opts: { offset?: number; limit?: number; order?: string } = {}): IrModelRecord[] {
    const node = parseDomain(domain ?? []);
    const rows = this.records.filter((r) => matches(node, r));
    sortBy(rows, opts.order);
    const offset = opts.offset ?? 0;
    return rows.slice(offset, opts.limit ? offset + opts.limit : undefined);
  }

  read(ids: number[]): IrModelRecord[] {
    const byId = new Map(this.records.map((r) => [r.id, r]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length)
      throw new NotFoundError(`Record does not exist or has been deleted.\n(Record: ${IR_MODEL}(${missing.join(', ')},))`);
    return ids.map((id) => byId.get(id)!);
  }

  /** The record with only the named fields (and id), like Odoo's read. */
  project(r: IrModelRecord, fields: string[] | undefined): Partial<IrModelRecord> {
    if (!fields?.length) return { ...r };
    const out: Partial<IrModelRecord> = { id: r.id };
    for (const f of fields) {
      if (!isField(f)) throw new ValueError(`Invalid field ${show(f)} on model ${IR_MODEL}`);
      (out as Record<string, unknown>)[f] = r[f];
    }
    return out;
  }

  fieldsGet(allfields?: string[], attributes?: string[]): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = {};
    for (const [name, f] of Object.entries(FIELDS)) {
      if (allfields?.length && !allfields.includes(name)) continue;
      const desc: Record<string, unknown> = { ...f, name, readonly: true, required: name === 'model', store: name !== 'display_name' };
      if (name === 'state')
        desc.selection = [
          ['manual', 'Custom Object'],
          ['base', 'Base Object'],
        ];
      out[name] = attributes === undefined ? desc : Object.fromEntries(Object.entries(desc).filter(([k]) => attributes.includes(k)));
    }
    return out;
  }
}

function matches(node: DomainNode, r: IrModelRecord): boolean {
  switch (node.kind) {
    case 'const':
      return node.value;
    case 'and':
      return matches(node.left, r) && matches(node.right, r);
    case 'or':
      return matches(node.left, r) || matches(node.right, r);
    case 'not':
      return !matches(node.child, r);
    case 'leaf':
      return leaf(node, r);
  }
}

function leaf(node: Extract<DomainNode, { kind: 'leaf' }>, r: IrModelRecord): boolean {
  const [field, ...rest] = node.path;
  if (rest.length || !isField(field)) throw new ValueError(`Invalid field ${show(node.path.join('.'))} in leaf ${node.text}`);
  const have: unknown = r[field];
  const want = node.value;
  const text = (v: unknown): string => (typeof v === 'string' ? v : String(v));
  switch (node.op) {
    case '=':
      return want === false || want === null ? have === false || have === null : have === want;
    case '!=':
      return want === false || want === null ? have !== false && have !== null : have !== want;
    case 'in':
      return (want as unknown[]).includes(have);
    case 'not in':
      return !(want as unknown[]).includes(have);
    case 'like':
    case 'ilike':
      return likeMatch(text(have), `%${text(want)}%`, node.op === 'ilike');
    case 'not like':
    case 'not ilike':
      return !likeMatch(text(have), `%${text(want)}%`, node.op === 'not ilike');
    case '=like':
    case '=ilike':
      return likeMatch(text(have), text(want), node.op === '=ilike');
    default:
      throw new ValueError(`Operator '${node.op}' is not supported on ${IR_MODEL} (leaf ${node.text})`);
  }
}

/** Odoo's order syntax, on ir.model's own fields: "model", "name desc, id". */
function sortBy(rows: IrModelRecord[], order: string | undefined): void {
  if (!order) return;
  const terms = order.split(',').map((t) => {
    const m = /^\s*([a-z_]+)(?:\s+(asc|desc))?\s*$/i.exec(t);
    if (!m || !isField(m[1])) throw new ValueError(`Invalid order ${show(order)}`);
    return { field: m[1], sign: m[2]?.toLowerCase() === 'desc' ? -1 : 1 };
  });
  rows.sort((a, b) => {
    for (const { field, sign } of terms) {
      const x = String(a[field]);
      const y = String(b[field]);
      if (x !== y) return (field === 'id' ? a.id - b.id : x.localeCompare(y)) * sign;
    }
    return 0;
  });
}
