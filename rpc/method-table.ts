import type { Scope } from '../entities';
import type { Caller } from '../server/auth/api-key.service';
import type { AppServices } from '../server/app-services';
import type { ParamSpec } from './params';

/** What every handler receives besides its params. */
export interface CallContext {
  requestId: string;
  services: AppServices;
  /** The key presented in the transport's credential slot (Bearer header, or Odoo's password arg). */
  presentedKey?: string;
  /** Set by the dispatcher once the key is checked (null for open methods). */
  caller: Caller | null;
  /** Which wire the call came in on, for logs. */
  transport: 'jsonrpc' | 'xmlrpc' | 'json2' | 'cli';
}

export interface MethodDef {
  /** Wire name, `service.method`. */
  name: string;
  /** Scope the caller's key needs; null = open (only system.version), 'self' = the method authenticates itself (Odoo's object/common services). */
  scope: Scope | null | 'self';
  params: ParamSpec[];
  /** One-line description, for the README method list and system.methods. */
  doc: string;
  handler: (params: Record<string, unknown>, ctx: CallContext) => Promise<unknown>;
}

/** Helper so each service module reads as a table. */
export function method(def: MethodDef): MethodDef {
  return def;
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
