import { ValueError } from '../errors';
import { NEGATIVE_OPERATORS, LIKE_OPERATORS, show, type DomainNode, type Operator } from './domain-parser';
import type { FieldDef, ModelRegistry, ResolvedModel } from './model-registry';
import { isStored } from './model-registry';
import { parseOdooDatetime } from './value-format';

export type Dialect = 'postgres' | 'sqlite';

/**
 * The longest like/ilike value a domain may carry. Names, references and descriptions are far
 * shorter; a megabyte pattern only costs memory and CPU (on SQLite it is matched in JavaScript
 * against every row, synchronously).
 */
export const MAX_LIKE_PATTERN_LENGTH = 1000;

/**
 * Turns a domain AST into a SQL boolean expression for TypeORM's `where(sql, params)`. Every value
 * is a named parameter (`:d0`, `:...d1`); only identifiers from the model registry, escaped by
 * the driver, and fixed keywords reach the SQL text.
 */
export class DomainCompiler {
  readonly params: Record<string, unknown> = {};
  private n = 0;
  private aliases = 0;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly dialect: Dialect,
    private readonly escape: (identifier: string) => string,
    private readonly prefix = 'd',
  ) {}

  compile(node: DomainNode, model: ResolvedModel, alias: string): string {
    switch (node.kind) {
      case 'const':
        return node.value ? '1=1' : '1=0';
      case 'and':
        return `(${this.compile(node.left, model, alias)} AND ${this.compile(node.right, model, alias)})`;
      case 'or':
        return `(${this.compile(node.left, model, alias)} OR ${this.compile(node.right, model, alias)})`;
      case 'not':
        return `(NOT ${this.compile(node.child, model, alias)})`;
      case 'leaf':
        return this.leaf(node, node.path, model, alias);
    }
  }

  column(model: ResolvedModel, alias: string, field: string): string {
    return `${this.escape(alias)}.${this.escape(model.columns.get(field)!)}`;
  }

  private param(value: unknown): string {
    const name = `${this.prefix}${this.n++}`;
    this.params[name] = this.bindable(value);
    return `:${name}`;
  }

  private paramList(values: unknown[]): string {
    const name = `${this.prefix}${this.n++}`;
    this.params[name] = values.map((v) => this.bindable(v));
    return `:...${name}`;
  }

  /** better-sqlite3 binds neither booleans nor Dates (TypeORM converts only non-list params). */
  private bindable(v: unknown): unknown {
    if (this.dialect !== 'sqlite') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
    return v;
  }

  private subquery(co: ResolvedModel, select: string, build: (alias: string) => string): string {
    const a = `s${++this.aliases}`;
    const where = build(a);
    return `(SELECT ${this.column(co, a, select)} FROM ${this.escape(co.table)} ${this.escape(a)} WHERE ${where})`;
  }

  private leaf(node: Extract<DomainNode, { kind: 'leaf' }>, path: string[], model: ResolvedModel, alias: string): string {
    const where = ` in leaf ${node.text}`;
    let field = this.registry.field(model, path[0], where);
    if (field.name === 'display_name') field = this.registry.field(model, model.def.recName);
    const rest = path.slice(1);
    const { op } = node;

    if (field.type === 'one2many') {
      const co = this.registry.comodel(field);
      if (rest.length === 0 && op !== 'any' && op !== 'not any') {
        throw new ValueError(
          `Field '${field.name}' (one2many) can only be searched through a path such as '${field.name}.name', or with 'any'${where}`,
        );
      }
      const sub = this.subquery(co, field.inverse!, (a) => (rest.length ? this.leaf(node, rest, co, a) : this.compile(node.sub!, co, a)));
      const ids = this.column(model, alias, 'id');
      return op === 'not any' ? `(${ids} NOT IN ${sub})` : `(${ids} IN ${sub})`;
    }
    if (rest.length > 0 || op === 'any' || op === 'not any') {
      if (field.type !== 'many2one')
        throw new ValueError(`Field '${field.name}' is not relational; '${path.join('.')}' cannot be followed${where}`);
      const co = this.registry.comodel(field);
      const col = this.column(model, alias, field.name);
      // Like Odoo: the comodel is searched without active_test, and a NULL link never matches a path.
      const sub = this.subquery(co, 'id', (a) => (rest.length ? this.leaf(node, rest, co, a) : this.compile(node.sub!, co, a)));
      return op === 'not any' ? `(${col} IS NULL OR ${col} NOT IN ${sub})` : `(${col} IN ${sub})`;
    }
    if (!isStored(field)) throw new ValueError(`Field '${field.name}' cannot be searched${where}`);
    const col = this.column(model, alias, field.name);

    if (field.type === 'many2one' && isNameValue(node.value)) {
      // Odoo runs name_search on the comodel (operator kept, even a negative one) and adds NULL for negatives.
      const co = this.registry.comodel(field);
      const recName = co.def.recName;
      const sub = this.subquery(co, 'id', (a) =>
        this.scalar(this.column(co, a, recName), this.registry.field(co, recName), op, node.value, where),
      );
      return NEGATIVE_OPERATORS.has(op) ? `(${col} IS NULL OR ${col} IN ${sub})` : `(${col} IN ${sub})`;
    }
    if (field.type === 'binary') {
      if ((op === '=' || op === '!=') && (node.value === false || node.value === null))
        return `(${col} IS ${op === '=' ? '' : 'NOT '}NULL)`;
      throw new ValueError(`Binary field '${field.name}' can only be compared with false${where}`);
    }
    return this.scalar(col, field, op, node.value, where);
  }

  private scalar(col: string, field: FieldDef, op: Operator, value: unknown, where: string): string {
    if (op === 'in' || op === 'not in') return this.inList(col, field, op, value as unknown[], where);
    if (value === false || value === null) {
      if (op === '=') return field.type === 'boolean' ? `(${col} = ${this.param(false)} OR ${col} IS NULL)` : `(${col} IS NULL)`;
      if (op === '!=') return field.type === 'boolean' ? `(${col} = ${this.param(true)})` : `(${col} IS NOT NULL)`;
      // Odoo 16 compares with NULL here, which matches nothing; negatives then match only NULL.
      return NEGATIVE_OPERATORS.has(op) ? `(${col} IS NULL)` : '1=0';
    }
    if (LIKE_OPERATORS.has(op)) return this.like(col, field, op, value, where);
    const v = coerce(field, value, where, op);
    if (op === '=') return `(${col} = ${this.param(v)})`;
    // Odoo adds "OR IS NULL" to a negative term only when the value is truthy (Python), so != 0 and != '' do not match NULL.
    if (op === '!=') return truthy(value) ? `(${col} IS NULL OR ${col} <> ${this.param(v)})` : `(${col} <> ${this.param(v)})`;
    return `(${col} ${op} ${this.param(v)})`;
  }

  private inList(col: string, field: FieldDef, op: 'in' | 'not in', list: unknown[], where: string): string {
    const hasNull = list.some((v) => v === false || v === null);
    // For a boolean field Odoo keeps False as a value (and also matches NULL): active in [True, False] is everything.
    const kept = field.type === 'boolean' ? list.filter((v) => v !== null) : list.filter((v) => v !== false && v !== null);
    const values = kept.map((v) => coerce(field, v, where, op));
    if (op === 'in') {
      const parts = values.length ? [`${col} IN (${this.paramList(values)})`] : [];
      if (hasNull) parts.push(`${col} IS NULL`);
      return parts.length ? `(${parts.join(' OR ')})` : '1=0';
    }
    if (!values.length) return `(${col} IS NOT NULL)`;
    const notIn = `${col} NOT IN (${this.paramList(values)})`;
    return hasNull ? `(${notIn} AND ${col} IS NOT NULL)` : `(${notIn} OR ${col} IS NULL)`;
  }

  private like(col: string, field: FieldDef, op: Operator, value: unknown, where: string): string {
    if (!['char', 'text', 'selection'].includes(field.type))
      throw new ValueError(`Operator '${op}' needs a text field; '${field.name}' is ${field.type}${where}`);
    if (typeof value !== 'string' && typeof value !== 'number') throw new ValueError(`Operator '${op}' needs a string value${where}`);
    const raw = String(value);
    if (raw.length > MAX_LIKE_PATTERN_LENGTH && characters(raw) > MAX_LIKE_PATTERN_LENGTH) {
      throw new ValueError(
        `Operator '${op}' takes a value of at most ${MAX_LIKE_PATTERN_LENGTH} characters, got ${characters(raw)}${where}`,
      );
    }
    const pattern = op === '=like' || op === '=ilike' ? raw : `%${raw}%`;
    const insensitive = op.includes('ilike');
    const p = this.param(pattern);
    // PostgreSQL's LIKE is case-sensitive and ILIKE Unicode-aware; SQLite's LIKE folds ASCII only, so
    // SQLite uses odoo_like() (sqlite-functions.ts), which implements exactly the same rules.
    const test =
      this.dialect === 'postgres' ? `${col} ${insensitive ? 'ILIKE' : 'LIKE'} ${p}` : `odoo_like(${col}, ${p}, ${insensitive ? 1 : 0}) = 1`;
    if (op.startsWith('not ')) return `(${col} IS NULL OR NOT (${test}))`;
    // Odoo: like/ilike with an empty value also matches NULL (it is "no filter").
    return raw === '' && pattern === '%%' ? `(${test} OR ${col} IS NULL)` : `(${test})`;
  }
}

/** Characters (code points), not UTF-16 units, without copying the string. */
function characters(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n--;
      i++;
    }
  }
  return n;
}

function truthy(v: unknown): boolean {
  return !(v === 0 || v === '' || v === false || v === null || v === undefined);
}

/** A many2one compared with a string (or list of strings) matches by the comodel's name. */
function isNameValue(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

/** Checks a value against the field type; Odoo would fail in SQL, the bridge says which leaf is wrong. */
function coerce(field: FieldDef, v: unknown, where: string, op: Operator): unknown {
  const bad = (): never => {
    throw new ValueError(`Invalid value ${show(v)} for ${field.type} field '${field.name}'${where}`);
  };
  switch (field.type) {
    case 'integer':
    case 'many2one':
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : bad();
    case 'float':
      return typeof v === 'number' && Number.isFinite(v) ? v : bad();
    case 'boolean':
      if (typeof v === 'boolean') return v;
      return v === 0 || v === 1 ? v === 1 : bad();
    case 'char':
    case 'text':
    case 'selection':
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      return typeof v === 'string' && v.length <= 10_000 ? v : bad();
    case 'datetime': {
      const d = v instanceof Date ? v : typeof v === 'string' ? parseOdooDatetime(v, op === '>' || op === '<=') : null;
      return d ?? bad();
    }
    default:
      return bad();
  }
}
