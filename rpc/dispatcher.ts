import { requireScope } from '../server/auth/api-key.service';
import { MethodNotFoundError } from '../server/errors';
import { getLogger } from '../server/logging';
import type { CallContext, MethodTable } from './method-table';

const log = getLogger('rpc');

/** Told about every call (the RPC metrics): the method's wire name, or `unknown` for a name not in the table. */
export type CallObserver = (method: string, outcome: string, seconds: number) => void;

/**
 * Every transport ends here: look the method up, check the caller's key and scope, bind and check
 * params, run the handler, log one line. Throws BridgeErrors; the transport maps them to its wire.
 */
export class Dispatcher {
  constructor(
    readonly table: MethodTable,
    private readonly observer: CallObserver = () => {},
  ) {}

  async call(name: string, rawParams: unknown, ctx: CallContext, kwargs?: Record<string, unknown>): Promise<unknown> {
    const def = this.table.get(name);
    return this.observe(def ? name : 'unknown', name, ctx, async () => {
      if (!def) throw new MethodNotFoundError(`Method not found: ${name}`);
      if (def.scope !== null && def.scope !== 'self') {
        ctx.caller = await ctx.services.apiKeys.authenticate(ctx.presentedKey);
        requireScope(ctx.caller, def.scope);
      }
      return def.run(rawParams, ctx, kwargs);
    });
  }

  /**
   * Runs one call with the dispatcher's log line and metrics. For calls that do not go through the
   * method table (Odoo's web-session call_kw, whose caller comes from the session cookie).
   */
  async observe<T>(label: string, name: string, ctx: CallContext, fn: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await fn();
    } catch (err) {
      outcome = err instanceof Error ? err.name : 'error';
      throw err;
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.observer(label, outcome, seconds);
      log.info(`${name} ${outcome}`, {
        requestId: ctx.requestId,
        method: name,
        caller: ctx.caller?.name ?? null,
        transport: ctx.transport,
        ms: Math.round(seconds * 10_000) / 10,
        outcome,
      });
    }
  }
}
