import { requireScope } from '../server/auth/api-key.service';
import { MethodNotFoundError } from '../server/errors';
import { getLogger } from '../server/logging';
import type { CallContext, MethodTable } from './method-table';

const log = getLogger('rpc');

/**
 * Every transport ends here: look the method up, check the caller's key and scope, bind and check
 * params, run the handler, log one line. Throws BridgeErrors; the transport maps them to its wire.
 */
export class Dispatcher {
  constructor(readonly table: MethodTable) {}

  async call(name: string, rawParams: unknown, ctx: CallContext, kwargs?: Record<string, unknown>): Promise<unknown> {
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      const def = this.table.get(name);
      if (!def) throw new MethodNotFoundError(`Method not found: ${name}`);
      if (def.scope !== null && def.scope !== 'self') {
        ctx.caller = await ctx.services.apiKeys.authenticate(ctx.presentedKey);
        requireScope(ctx.caller, def.scope);
      }
      return await def.run(rawParams, ctx, kwargs);
    } catch (err) {
      outcome = err instanceof Error ? err.name : 'error';
      throw err;
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info(`${name} ${outcome}`, {
        requestId: ctx.requestId,
        method: name,
        caller: ctx.caller?.name ?? null,
        transport: ctx.transport,
        ms: Math.round(ms * 10) / 10,
        outcome,
      });
    }
  }
}
