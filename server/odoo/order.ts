import { ValueError } from '../errors';
import { show } from './domain-parser';
import { isSortable, type ResolvedModel } from './model-registry';

export interface OrderTerm {
  field: string;
  direction: 'ASC' | 'DESC';
  nulls: 'NULLS FIRST' | 'NULLS LAST';
}

const TERM = /^([a-z_][a-z0-9_]*)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?$/i;

/**
 * Odoo's `order`: "field [asc|desc] [nulls first|last], ...". Only the model's sortable fields are
 * accepted, and the SQL uses their registry column names, never the given text. Without an explicit
 * NULLS the PostgreSQL default (last when ascending) is spelled out, so SQLite sorts the same way.
 * `id` is appended as the tie-breaker so that offset pages are stable.
 */
export function parseOrder(raw: string | undefined, model: ResolvedModel): OrderTerm[] {
  const text = (raw ?? '').trim() || 'id';
  if (text.length > 500) throw new ValueError('Invalid "order": too long');
  const terms: OrderTerm[] = [];
  for (const part of text.split(',')) {
    const m = TERM.exec(part.trim());
    if (!m) {
      throw new ValueError(
        `Invalid "order" specified (${show(raw)}). A valid "order" is a comma-separated list of field names, each optionally followed by asc/desc and nulls first/last`,
      );
    }
    const field = m[1].toLowerCase();
    const def = model.fields.get(field);
    if (!def) throw new ValueError(`Invalid "order": unknown field '${field}' on model '${model.def.name}'`);
    if (!isSortable(def)) throw new ValueError(`Invalid "order": field '${field}' of model '${model.def.name}' cannot be sorted`);
    const direction = (m[2] ?? 'asc').toUpperCase() as 'ASC' | 'DESC';
    const nulls = m[3] ? (`NULLS ${m[3].toUpperCase()}` as OrderTerm['nulls']) : direction === 'ASC' ? 'NULLS LAST' : 'NULLS FIRST';
    if (!terms.some((t) => t.field === field)) terms.push({ field, direction, nulls });
  }
  if (!terms.some((t) => t.field === 'id')) terms.push({ field: 'id', direction: 'ASC', nulls: 'NULLS LAST' });
  return terms;
}
