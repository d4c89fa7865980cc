import type { Route } from './http-server';
import { json2Route } from './json2.transport';
import { xmlRpcRoute } from './xmlrpc.transport';

/** Odoo's other wires, mounted next to /jsonrpc: /xmlrpc/2/{common,object} and /json/2/<model>/<method>. */
export function odooRoutes(): Route[] {
  return [xmlRpcRoute, json2Route];
}
