import { InvalidParamsError } from '../server/errors';

export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'any';

/** One declared parameter of an RPC method: checked before the handler runs. */
export interface ParamSpec {
  name: string;
  type: ParamType;
  required?: boolean;
  /** Extra rule; returns a message ("expected …") when the value is wrong. */
  check?: (value: unknown) => string | undefined;
  /** Odoo clients send "", 0, false or null for "not set": treat them as absent for this param. */
  emptyMeansUnset?: boolean;
}

const MAX_STRING = 100_000;

function typeOk(type: ParamType, v: unknown): boolean {
  switch (type) {
    case 'string': return typeof v === 'string' && v.length <= MAX_STRING;
    case 'integer': return typeof v === 'number' && Number.isSafeInteger(v);
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'boolean': return typeof v === 'boolean';
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'any': return true;
  }
}

const TYPE_WORDS: Record<ParamType, string> = {
  string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false',
  object: 'an object', array: 'a list', any: 'a value',
};

/**
 * Maps positional (array) or named (object) params onto the declared names, the way Python binds
 * arguments: unknown names, duplicates and missing required params are errors naming the param.
 */
export function bindParams(specs: ParamSpec[], raw: unknown, kwargs?: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  if (raw === undefined || raw === null) raw = [];
  if (Array.isArray(raw)) {
    if (raw.length > specs.length) {
      throw new InvalidParamsError(`expected at most ${specs.length} positional params (${specs.map((s) => s.name).join(', ')}), got ${raw.length}`);
    }
    raw.forEach((v, i) => { out[specs[i].name] = v; });
  } else if (typeof raw === 'object') {
    Object.assign(out, namedOnly(specs, raw as Record<string, unknown>, out));
  } else {
    throw new InvalidParamsError('params must be a list or an object');
  }
  if (kwargs) Object.assign(out, namedOnly(specs, kwargs, out));

  const bound: Record<string, unknown> = {};
  for (const spec of specs) {
    let v = out[spec.name];
    if (spec.emptyMeansUnset && (v === '' || v === 0 || v === false || v === null)) v = undefined;
    if (v === undefined || v === null) {
      if (spec.required) throw new InvalidParamsError(`missing required param "${spec.name}"`);
      continue;
    }
    if (!typeOk(spec.type, v)) throw new InvalidParamsError(`param "${spec.name}": expected ${TYPE_WORDS[spec.type]}`);
    const problem = spec.check?.(v);
    if (problem) throw new InvalidParamsError(`param "${spec.name}": ${problem}`);
    bound[spec.name] = v;
  }
  return bound;
}

function namedOnly(specs: ParamSpec[], given: Record<string, unknown>, already: Record<string, unknown>): Record<string, unknown> {
  const names = new Set(specs.map((s) => s.name));
  const res: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!names.has(key)) throw new InvalidParamsError(`unknown param "${key}" (expected ${[...names].join(', ') || 'none'})`);
    if (key in already) throw new InvalidParamsError(`param "${key}" given twice`);
    res[key] = given[key];
  }
  return res;
}

export const checks = {
  range: (min: number, max: number) => (v: unknown) => (typeof v === 'number' && v >= min && v <= max ? undefined : `expected a number from ${min} to ${max}`),
  nonEmpty: (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? undefined : 'expected a non-empty string'),
  maxLength: (n: number) => (v: unknown) => (typeof v === 'string' && v.length <= n ? undefined : `expected at most ${n} characters`),
};
