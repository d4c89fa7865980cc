import { ValueError } from '../errors';

/**
 * Odoo domains: a list in Polish prefix notation of '&', '|' (binary), '!' (unary) and terms
 * [field, operator, value]. Consecutive terms are implicitly AND-ed (Odoo's normalize_domain).
 * This module checks the shape and operators; field names and value types are checked by the
 * compiler against the model, before any SQL runs.
 */
export const OPERATORS = [
  '=',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  '=?',
  'in',
  'not in',
  'like',
  'not like',
  'ilike',
  'not ilike',
  '=like',
  '=ilike',
  'any',
  'not any',
] as const;
export type Operator = (typeof OPERATORS)[number];

export const NEGATIVE_OPERATORS: ReadonlySet<Operator> = new Set<Operator>(['!=', 'not like', 'not ilike', 'not in', 'not any']);
export const LIKE_OPERATORS: ReadonlySet<Operator> = new Set<Operator>(['like', 'not like', 'ilike', 'not ilike', '=like', '=ilike']);

export type DomainNode =
  | { kind: 'and' | 'or'; left: DomainNode; right: DomainNode }
  | { kind: 'not'; child: DomainNode }
  | { kind: 'const'; value: boolean }
  | { kind: 'leaf'; path: string[]; op: Operator; value: unknown; sub?: DomainNode; text: string };

export const TRUE_NODE: DomainNode = { kind: 'const', value: true };
export const FALSE_NODE: DomainNode = { kind: 'const', value: false };

/** Bounds on what one call may ask for; generous for real Odoo domains. */
const MAX_TOKENS = 500;
const MAX_LIST = 1000;
const FIELD_PATH = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62}){0,4}$/;

/** A short, safe rendering of client input for error messages. */
export function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // Cyclic or absurdly deep input: String() would recurse just as deep.
    s = '<unprintable value>';
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function isOperatorToken(t: unknown): t is '&' | '|' | '!' {
  return t === '&' || t === '|' || t === '!';
}

/** Odoo's normalize_domain: inserts the implicit '&' and checks the arity. */
function normalize(domain: unknown[]): unknown[] {
  const result: unknown[] = [];
  let expected = 1;
  for (const token of domain) {
    if (expected === 0) {
      result.unshift('&');
      expected = 1;
    }
    if (Array.isArray(token)) expected -= 1;
    else if (isOperatorToken(token)) expected += token === '!' ? 0 : 1;
    else throw new ValueError(`Invalid domain element ${show(token)}: expected '&', '|', '!' or a [field, operator, value] term`);
    result.push(token);
  }
  if (expected !== 0) throw new ValueError(`Invalid domain ${show(domain)}: an operator is missing an operand`);
  return result;
}

export function parseDomain(raw: unknown, depth = 0): DomainNode {
  // Clients send "", 0, false or null for "no domain".
  if (raw === undefined || raw === null || raw === false || raw === '' || raw === 0) return TRUE_NODE;
  if (!Array.isArray(raw)) throw new ValueError(`Invalid domain ${show(raw)}: expected a list`);
  if (raw.length === 0) return TRUE_NODE;
  if (raw.length > MAX_TOKENS) throw new ValueError(`Invalid domain: at most ${MAX_TOKENS} elements`);
  if (depth > 5) throw new ValueError('Invalid domain: sub-domains nested too deeply');
  const tokens = normalize(raw);
  let pos = 0;
  const next = (): DomainNode => {
    const t = tokens[pos++];
    if (t === '&' || t === '|') {
      const left = next();
      return { kind: t === '&' ? 'and' : 'or', left, right: next() };
    }
    if (t === '!') return { kind: 'not', child: next() };
    return parseTerm(t as unknown[], depth);
  };
  return distributeNot(next(), false);
}

const NEGATION: Partial<Record<Operator, Operator>> = {
  '<': '>=',
  '>': '<=',
  '<=': '>',
  '>=': '<',
  '=': '!=',
  '!=': '=',
  in: 'not in',
  'not in': 'in',
  like: 'not like',
  'not like': 'like',
  ilike: 'not ilike',
  'not ilike': 'ilike',
  any: 'not any',
  'not any': 'any',
};

/**
 * Odoo's distribute_not: '!' is pushed down to the terms, whose operator is negated, so
 * ['!', ('x','=',5)] means ('x','!=',5) and matches NULL, exactly as in Odoo. Only =like and
 * =ilike have no negation and keep a SQL NOT.
 */
function distributeNot(node: DomainNode, negate: boolean): DomainNode {
  switch (node.kind) {
    case 'const':
      return negate ? { kind: 'const', value: !node.value } : node;
    case 'not':
      return distributeNot(node.child, !negate);
    case 'and':
    case 'or': {
      const kind = negate ? (node.kind === 'and' ? 'or' : 'and') : node.kind;
      return { kind, left: distributeNot(node.left, negate), right: distributeNot(node.right, negate) };
    }
    case 'leaf': {
      if (!negate) return node;
      const op = NEGATION[node.op];
      return op ? { ...node, op } : { kind: 'not', child: node };
    }
  }
}

function parseTerm(term: unknown[], depth: number): DomainNode {
  const text = show(term);
  if (term.length !== 3) throw new ValueError(`Invalid leaf ${text}: expected [field, operator, value]`);
  const [left, rawOp, right] = term;
  // Odoo's TRUE_LEAF and FALSE_LEAF.
  if ((left === 1 || left === 0) && rawOp === '=' && right === 1) return left === 1 ? TRUE_NODE : FALSE_NODE;
  if (typeof left !== 'string' || !FIELD_PATH.test(left)) throw new ValueError(`Invalid field ${show(left)} in leaf ${text}`);
  if (typeof rawOp !== 'string') throw new ValueError(`Invalid operator ${show(rawOp)} in leaf ${text}`);
  let op = rawOp.trim().toLowerCase();
  if (op === '<>') op = '!=';
  if (op === 'child_of' || op === 'parent_of') throw new ValueError(`Operator '${op}' is not supported by the bridge (leaf ${text})`);
  if (!(OPERATORS as readonly string[]).includes(op)) throw new ValueError(`Invalid operator ${show(rawOp)} in leaf ${text}`);
  const path = left.split('.');
  return rewrite(path, op as Operator, right, text, depth);
}

/** Odoo's value-independent rewrites: =? with an empty value, scalars with in, lists with =. */
function rewrite(path: string[], op: Operator, value: unknown, text: string, depth: number): DomainNode {
  if (op === 'any' || op === 'not any') {
    return { kind: 'leaf', path, op, value: null, sub: parseDomain(value === false || value === null ? [] : value, depth + 1), text };
  }
  if (op === '=?') {
    if (value === false || value === null || value === undefined) return TRUE_NODE;
    op = '=';
  }
  if ((op === '=' || op === '!=') && Array.isArray(value)) op = op === '=' ? 'in' : 'not in';
  if (op === 'in' || op === 'not in') {
    const list = Array.isArray(value) ? value : [value];
    if (list.length > MAX_LIST) throw new ValueError(`Invalid leaf ${text}: at most ${MAX_LIST} values`);
    if (list.length === 0) return op === 'in' ? FALSE_NODE : TRUE_NODE;
    return { kind: 'leaf', path, op, value: list, text };
  }
  if (Array.isArray(value) || (typeof value === 'object' && value !== null && !(value instanceof Date))) {
    throw new ValueError(`Invalid value in leaf ${text}: operator '${op}' needs a single value`);
  }
  return { kind: 'leaf', path, op, value: value === undefined ? null : value, text };
}

export function and(a: DomainNode, b: DomainNode): DomainNode {
  if (a.kind === 'const') return a.value ? b : a;
  if (b.kind === 'const') return b.value ? a : b;
  return { kind: 'and', left: a, right: b };
}

/** Odoo adds ('active','=',True) unless a term of the domain itself names `active`. */
export function mentionsField(node: DomainNode, name: string): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return mentionsField(node.left, name) || mentionsField(node.right, name);
    case 'not':
      return mentionsField(node.child, name);
    case 'leaf':
      return node.path.length === 1 && node.path[0] === name;
    default:
      return false;
  }
}
