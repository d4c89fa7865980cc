import type { Scope } from '../entities';
import type { Caller } from '../server/auth/api-key.service';
import type { AppServices } from '../server/app-services';
import type { ResponseBudget } from '../server/response-budget';
import { Params, type ParamShape, type ParamsOf } from './params';

/** What every handler receives besides its params. */
export interface CallContext {
  requestId: string;
  services: AppServices;
  /** The key presented in the transport's credential slot (Bearer header, or Odoo's password arg). */
  presentedKey?: string;
  /** Set by the dispatcher once the key is checked (null for open methods). */
  caller: Caller | null;
  /** What the request's answer may still grow by; one per HTTP request, shared by a batch's calls. */
  responseBudget: ResponseBudget;
  /** Which wire the call came in on, for logs. */
  transport: 'jsonrpc' | 'xmlrpc' | 'json2' | 'cli' | 'web';
}

/** One RPC method as its module declares it: the handler's params are typed by the schema. */
export interface MethodSpec<S extends ParamShape> {
  /** Wire name, `service.method`. */
  name: string;
  /** Scope the caller's key needs; null = open (only system.version), 'self' = the method authenticates itself (Odoo's object/common services). */
  scope: Scope | null | 'self';
  /** Params in positional order; checked before the handler runs. */
  params: S;
  /** One-line description, for the README method list and system.methods. */
  doc: string;
  handler: (params: ParamsOf<S>, ctx: CallContext) => Promise<unknown>;
}

/** A method in the table. */
export interface MethodDef {
  name: string;
  scope: Scope | null | 'self';
  /** Param names in positional order (system.methods lists them). */
  params: Array<{ name: string }>;
  doc: string;
  /** Binds and checks the raw params (InvalidParamsError naming the param), then runs the handler. */
  run: (rawParams: unknown, ctx: CallContext, kwargs?: Record<string, unknown>) => Promise<unknown>;
}

/** Declares a method, so each service module reads as a table. */
export function method<S extends ParamShape>(spec: MethodSpec<S>): MethodDef {
  const params = new Params(spec.params);
  return {
    name: spec.name,
    scope: spec.scope,
    params: params.names.map((name) => ({ name })),
    doc: spec.doc,
    run: (raw, ctx, kwargs) => spec.handler(params.bind(raw, kwargs), ctx),
  };
}

export class MethodTable {
  private readonly methods = new Map<string, MethodDef>();

  constructor(modules: MethodDef[][]) {
    for (const def of modules.flat()) {
      if (this.methods.has(def.name)) throw new Error(`duplicate RPC method ${def.name}`);
      this.methods.set(def.name, def);
    }
  }

  get(name: string): MethodDef | undefined {
    return this.methods.get(name);
  }

  list(): MethodDef[] {
    return [...this.methods.values()];
  }
}
