import { z } from 'zod';
import { InvalidParamsError } from '../server/errors';

/** A method's params in positional order: name → zod schema. Handlers receive {@link ParamsOf}. */
export type ParamShape = Record<string, z.ZodType>;
export type ParamsOf<S extends ParamShape> = z.output<z.ZodObject<S>>;

const MAX_STRING = 100_000;
const expected = (what: string) => ({ error: `expected ${what}` });
const range = (min: number, max: number) => expected(`a number from ${min} to ${max}`);

/** Param schemas; each failure reads `param "name": expected …`. Add `.optional()` / `.default()` for optional params. */
export const param = {
  string: () => z.string(expected('a string')).max(MAX_STRING, expected('a string')),
  integer: (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    z.int(expected('an integer')).min(min, range(min, max)).max(max, range(min, max)),
  number: (min = -Infinity, max = Infinity) => z.number(expected('a number')).min(min, range(min, max)).max(max, range(min, max)),
  boolean: () => z.boolean(expected('true or false')),
  list: () => z.array(z.unknown(), expected('a list')),
  object: () => z.record(z.string(), z.unknown(), expected('an object')),
  any: () => z.unknown(),
};

/** Odoo clients send "", 0, false or null for "not set": those make this param absent. */
export const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === 0 || v === false || v === null ? undefined : v), schema.optional());

/**
 * Binds positional (array) or named (object) params, plus call_kw's kwargs, onto the declared names
 * the way Python binds arguments: too many, unknown, twice-given and missing required params are
 * InvalidParamsErrors naming the param. A null counts as not given.
 */
export class Params<S extends ParamShape> {
  readonly names: string[];
  private readonly schema: z.ZodObject<S>;

  constructor(shape: S) {
    this.names = Object.keys(shape);
    this.schema = z.object(shape);
  }

  bind(raw: unknown, kwargs?: Record<string, unknown>): ParamsOf<S> {
    const given = new Map<string, unknown>();
    const params = raw ?? [];
    if (Array.isArray(params)) {
      if (params.length > this.names.length) {
        throw new InvalidParamsError(
          `expected at most ${this.names.length} positional params (${this.names.join(', ')}), got ${params.length}`,
        );
      }
      params.forEach((v, i) => given.set(this.names[i], v));
    } else if (typeof params === 'object') {
      this.named(Object.entries(params), given);
    } else {
      throw new InvalidParamsError('params must be a list or an object');
    }
    if (kwargs) this.named(Object.entries(kwargs), given);

    const input = Object.fromEntries([...given].filter(([, v]) => v !== null));
    const parsed = this.schema.safeParse(input);
    if (parsed.success) return parsed.data;
    const { path, message } = parsed.error.issues[0];
    const name = String(path[0]);
    throw new InvalidParamsError(input[name] === undefined ? `missing required param "${name}"` : `param "${name}": ${message}`);
  }

  private named(entries: Array<[string, unknown]>, given: Map<string, unknown>): void {
    for (const [key, v] of entries) {
      if (!this.names.includes(key)) throw new InvalidParamsError(`unknown param "${key}" (expected ${this.names.join(', ') || 'none'})`);
      if (given.has(key)) throw new InvalidParamsError(`param "${key}" given twice`);
      given.set(key, v);
    }
  }
}
