import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { CallContext } from '../method-table';
import { toWireError } from '../wire-errors';
import type { Route } from './http-server';

/** The maintained `xmlrpc` package's codec (the same one odoo-await's client uses); it ships no types for lib/. */
interface XmlRpcDeserializer {
  deserializeMethodCall(stream: Readable, cb: (err: Error | null | undefined, method?: string, params?: unknown[]) => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped deep path of xmlrpc: a require with a typed cast
const Deserializer = require('xmlrpc/lib/deserializer') as new (encoding?: string) => XmlRpcDeserializer;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped deep path of xmlrpc: a require with a typed cast
const serializer = require('xmlrpc/lib/serializer') as {
  serializeMethodResponse(value: unknown): string;
  serializeFault(fault: { faultCode: number; faultString: string }): string;
};

const PREFIX = '/xmlrpc/2/';
const SERVICES = new Set(['common', 'object']);

/** Odoo's /xmlrpc/2 fault codes (odoo/addons/base/controllers/rpc.py). */
const FAULT = { application: 1, warning: 2, accessDenied: 3, accessError: 4 } as const;

function faultFor(name: string, message: string): { faultCode: number; faultString: string } {
  switch (name) {
    case 'odoo.exceptions.AccessDenied':
      return { faultCode: FAULT.accessDenied, faultString: message };
    case 'odoo.exceptions.AccessError':
      return { faultCode: FAULT.accessError, faultString: message };
    case 'odoo.exceptions.UserError':
    case 'odoo.exceptions.ValidationError':
    case 'odoo.exceptions.MissingError':
      return { faultCode: FAULT.warning, faultString: message };
    // Odoo sends the traceback, whose last line is "ExceptionClass: message"; the bridge sends that line.
    default:
      return { faultCode: FAULT.application, faultString: `${name.split('.').pop()}: ${message}` };
  }
}

/** Characters XML 1.0 cannot carry (a LogiKal description may hold one); everything else passes. */
// eslint-disable-next-line no-control-regex -- matching the control characters XML 1.0 forbids is this pattern's purpose
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Odoo's XML-RPC has no nil (allow_none=False): empty values are false, as read() returns them anyway. */
function xmlSafe(v: unknown): unknown {
  if (v === null || v === undefined) return false;
  if (typeof v === 'string') return v.replace(NOT_XML, '');
  if (Array.isArray(v)) return v.map(xmlSafe);
  if (typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, xmlSafe(x)]));
  }
  return v;
}

function parseCall(body: Buffer): Promise<{ method: string; params: unknown[] }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    new Deserializer().deserializeMethodCall(Readable.from([body]), (err, method, params) => {
      if (settled) return;
      settled = true;
      if (err || !method) reject(err ?? new Error('no method name'));
      else resolve({ method, params: params ?? [] });
    });
  });
}

function sendXml(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': Buffer.byteLength(xml) });
  res.end(xml);
}

/**
 * POST /xmlrpc/2/common and /xmlrpc/2/object: Odoo's XML-RPC services, translated onto the same
 * dispatcher methods as /jsonrpc (`common.authenticate`, `object.execute_kw`, ...).
 */
export const xmlRpcRoute: Route = {
  method: 'POST',
  path: PREFIX,
  async handle(req, res, rctx) {
    const service = (req.url ?? '').split('?')[0].slice(PREFIX.length);
    if (!SERVICES.has(service)) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`No XML-RPC service "${service.slice(0, 40)}"`);
      return;
    }
    let call: { method: string; params: unknown[] };
    try {
      call = await parseCall(rctx.body);
    } catch {
      sendXml(
        res,
        200,
        serializer.serializeFault(faultFor('builtins.ValueError', 'Invalid XML-RPC request: not a well-formed methodCall')),
      );
      return;
    }
    const ctx: CallContext = {
      requestId: rctx.requestId,
      services: rctx.services,
      caller: null,
      transport: 'xmlrpc',
      responseBudget: rctx.responseBudget,
    };
    try {
      const result = await rctx.dispatcher.call(`${service}.${call.method}`, call.params, ctx);
      sendXml(res, 200, serializer.serializeMethodResponse(xmlSafe(result)));
    } catch (err) {
      const wire = toWireError(err, ctx.requestId);
      sendXml(res, 200, serializer.serializeFault(faultFor(wire.data.name, wire.data.message)));
    }
  },
  // Odoo's werkzeug answers 413 in plain words too; an XML-RPC client reports the status either way.
  tooLarge: (message) => ({ contentType: 'text/plain; charset=utf-8', text: message }),
};
