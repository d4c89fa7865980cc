import { BridgeError, type OdooErrorName } from '../server/errors';
import { getLogger } from '../server/logging';

const log = getLogger('rpc');

/** Odoo's serialize_exception shape: what Odoo code reads (data.message, data.name). */
export interface OdooErrorData {
  /** A BridgeError's odooName, or builtins.Exception for an internal error. */
  name: OdooErrorName | 'builtins.Exception';
  message: string;
  arguments: unknown[];
  context: Record<string, never>;
  debug: '';
}

export interface WireError {
  code: number;
  message: string;
  data: OdooErrorData;
  /** HTTP status for transports that use one; not sent on JSON-RPC. */
  httpStatus: number;
}

export function odooData(name: OdooErrorData['name'], message: string): OdooErrorData {
  return { name, message, arguments: [message], context: {}, debug: '' };
}

/**
 * The one place any thrown value becomes a wire error. Known errors keep their message; anything
 * else is logged with the request id and answered generically, so no stack, SQL or secret leaves.
 */
export function toWireError(err: unknown, requestId: string): WireError {
  if (err instanceof BridgeError) {
    return { code: err.code, message: err.message, data: odooData(err.odooName, err.message), httpStatus: err.httpStatus };
  }
  log.error('internal error', { requestId, error: err });
  const message = `Internal error (request ${requestId})`;
  return { code: -32603, message, data: odooData('builtins.Exception', message), httpStatus: 500 };
}

/**
 * Odoo's own JSON routes (`/jsonrpc`'s common/object services, `/web/*`) answer like Odoo 16-18:
 * code 200 "Odoo Server Error" with the detail in data; a missing session is code 100.
 */
export function odooServerError(wire: WireError): { code: number; message: string; data: OdooErrorData } {
  if (wire.data.name === 'odoo.http.SessionExpiredException') return { code: 100, message: 'Odoo Session Expired', data: wire.data };
  return { code: 200, message: 'Odoo Server Error', data: wire.data };
}

/** JSON-RPC protocol errors that jayson produces (or we produce before jayson runs) get the same data shape. */
export function protocolError(code: number, message: string): { code: number; message: string; data: OdooErrorData } {
  const name = code === -32601 ? 'werkzeug.exceptions.NotFound' : 'builtins.ValueError';
  return { code, message, data: odooData(name, message) };
}
