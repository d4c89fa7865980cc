import jayson from 'jayson/promise';
import type { AppServices } from '../../server/app-services';
import type { Dispatcher } from '../dispatcher';
import type { CallContext } from '../method-table';
import { protocolError, toWireError } from '../wire-errors';
import { InvalidParamsError } from '../../server/errors';
import type { ResponseBudget } from '../../server/response-budget';

/** Per HTTP request; every call (and batch member) gets its own CallContext built from it. */
export interface JsonRpcRequestContext {
  requestId: string;
  presentedKey?: string;
  services: AppServices;
  /** Shared by every call of a batch: the whole reply stays within RESPONSE_MAX_BYTES. */
  responseBudget: ResponseBudget;
}

const NULL_ID = '\u0000null-id';

type JsonObject = Record<string, unknown>;

/**
 * JSON-RPC 2.0 over jayson, in Odoo's call style: `service.method` names, or the `call` envelope
 * `{service, method, args, kwargs}`. jayson does the protocol (validation, batches, notifications);
 * this module only translates to and from the dispatcher.
 */
export class JsonRpcTransport {
  private readonly server: jayson.Server;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly maxBatch = 20,
  ) {
    const self = this;
    this.server = new jayson.Server(
      {},
      {
        useContext: true,
        maxBatchLength: maxBatch,
        router(name: string) {
          return new jayson.Method({
            useContext: true,
            handler: (params: unknown, context: object) => self.invoke(name, params, context as JsonRpcRequestContext),
          });
        },
      },
    );
  }

  private async invoke(name: string, params: unknown, rctx: JsonRpcRequestContext): Promise<unknown> {
    const ctx: CallContext = {
      requestId: rctx.requestId,
      services: rctx.services,
      presentedKey: rctx.presentedKey,
      caller: null,
      transport: 'jsonrpc',
      responseBudget: rctx.responseBudget,
    };
    let dispatched = name;
    try {
      if (name === 'call') {
        const env = params as JsonObject | undefined;
        if (!env || typeof env !== 'object' || Array.isArray(env) || typeof env.service !== 'string' || typeof env.method !== 'string') {
          throw new InvalidParamsError('the call envelope needs params {service, method, args?, kwargs?}');
        }
        const { args, kwargs } = env;
        if (args !== undefined && !Array.isArray(args)) throw new InvalidParamsError('param "args": expected a list');
        if (kwargs !== undefined && (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs))) {
          throw new InvalidParamsError('param "kwargs": expected an object');
        }
        dispatched = `${env.service}.${env.method}`;
        const result = await this.dispatcher.call(dispatched, args ?? [], ctx, kwargs as JsonObject | undefined);
        return result ?? null;
      }
      return (await this.dispatcher.call(name, params, ctx)) ?? null;
    } catch (err) {
      const wire = toWireError(err, ctx.requestId);
      // A plain object: jayson forwards {code, message, data} unchanged (an Error would lose its message).
      // Odoo's own services answer like Odoo 16-18: code 200, "Odoo Server Error", the detail in data.
      const error = /^(common|object)\./.test(dispatched)
        ? { code: 200, message: 'Odoo Server Error', data: wire.data }
        : { code: wire.code, message: wire.message, data: wire.data };
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- jayson answers a thrown plain {code, message, data} as is (see above)
      throw error;
    }
  }

  /** Handles one HTTP body; returns the response body, or undefined when nothing is to be sent (notifications). */
  async handle(rawBody: string, rctx: JsonRpcRequestContext): Promise<unknown> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      return { jsonrpc: '2.0', id: null, error: protocolError(-32700, 'Parse error: the body is not valid JSON') };
    }
    if (Array.isArray(parsed)) {
      if (parsed.length > this.maxBatch) {
        return {
          jsonrpc: '2.0',
          id: null,
          error: protocolError(-32600, `Invalid request: a batch may hold at most ${this.maxBatch} calls, got ${parsed.length}`),
        };
      }
      if (parsed.length === 0) return { jsonrpc: '2.0', id: null, error: protocolError(-32600, 'Invalid request: an empty batch') };
      // Each element that is not an object gets its own answer here: jayson would skip a nested
      // batch and never call back, leaving the connection hanging.
      const calls = parsed.filter(isObject).map(markNullId);
      const refused = parsed
        .filter((el) => !isObject(el))
        .map(() => ({ jsonrpc: '2.0', id: null, error: protocolError(-32600, 'Invalid request: a batch element must be an object') }));
      const answered = calls.length ? await this.run(calls, rctx) : undefined;
      const replies = [...(Array.isArray(answered) ? answered.map(finish) : []), ...refused];
      return replies.length ? replies : undefined;
    }
    const response = await this.run(markNullId(parsed), rctx);
    if (response === undefined || response === null) return undefined;
    return finish(response);
  }

  private run(request: unknown, rctx: JsonRpcRequestContext): Promise<unknown> {
    return new Promise<unknown>((resolve) => {
      // jayson calls back (err, ok) with exactly one set, or neither for notifications.
      this.server.call(request as jayson.JSONRPCRequestLike, rctx, (err, ok) => resolve(err ?? ok));
    });
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** jayson treats `"id": null` as a notification; Odoo answers such requests, so we do too. */
function markNullId(req: unknown): unknown {
  if (isObject(req) && 'id' in req && req.id === null) return { ...req, id: NULL_ID };
  return req;
}

function finish(res: unknown): unknown {
  const r = res as JsonObject;
  // jayson leaves the id out of its answer to an invalid request; JSON-RPC 2.0 wants null there.
  if (r.id === NULL_ID || r.id === undefined) r.id = null;
  const error = r.error as JsonObject | undefined;
  if (error && !error.data) r.error = protocolError(Number(error.code), String(error.message));
  else if (error?.data && typeof error.data === 'object' && !('name' in (error.data as JsonObject))) {
    r.error = protocolError(Number(error.code), String(error.message));
  }
  return r;
}
