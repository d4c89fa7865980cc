import { z } from 'zod';
import { AccessDeniedError } from '../server/errors';
import { bridgeVersion } from '../server/version';
import { method, type CallContext, type MethodDef } from './method-table';
import { checkDb } from './object.rpc';
import { param, type ParamsOf } from './params';

const credentials = {
  db: param.string(),
  // Informational: the key alone identifies the caller (Odoo users' logins do not exist here).
  login: param.any().optional(),
  /** The API key; anything but a string is no key (login answers false). */
  password: z.string().optional().catch(undefined),
};

/**
 * Odoo's `common` service. The password is an API key; the uid is the key's id. Like Odoo, bad
 * credentials answer `false`, not an error.
 */
async function login(p: ParamsOf<typeof credentials>, ctx: CallContext): Promise<number | false> {
  checkDb(p.db, ctx);
  try {
    const caller = await ctx.services.apiKeys.authenticate(p.password);
    ctx.caller = caller;
    return caller.keyId;
  } catch (err) {
    if (err instanceof AccessDeniedError) return false;
    throw err;
  }
}

/** The Odoo version the bridge answers as (common.version, /web/webclient/version_info, session_info). */
export function odooVersion(): {
  server_version: string;
  server_version_info: Array<number | string>;
  server_serie: string;
  protocol_version: number;
  logikal_bridge: string;
} {
  return {
    server_version: '17.0',
    server_version_info: [17, 0, 0, 'final', 0, ''],
    server_serie: '17.0',
    protocol_version: 1,
    logikal_bridge: bridgeVersion(),
  };
}

export const commonMethods: MethodDef[] = [
  method({
    name: 'common.version',
    scope: null,
    params: {},
    doc: "Odoo's version(): the Odoo API level the bridge mirrors, plus the bridge's own version.",
    handler: async () => odooVersion(),
  }),
  method({
    name: 'common.login',
    scope: 'self',
    params: credentials,
    doc: 'login(db, login, api_key) → uid (the key id) or false.',
    handler: login,
  }),
  method({
    name: 'common.authenticate',
    scope: 'self',
    params: { ...credentials, user_agent_env: param.any().optional() },
    doc: 'authenticate(db, login, api_key, user_agent_env) → uid (the key id) or false.',
    handler: login,
  }),
];
