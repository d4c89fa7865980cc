import { method, type MethodDef } from './method-table';

export const systemMethods: MethodDef[] = [
  method({
    name: 'system.version',
    scope: null,
    params: {},
    doc: 'Bridge name, version and API version. Open: no key needed.',
    handler: async (_p, ctx) => ctx.services.system.version(),
  }),
  method({
    name: 'system.health',
    scope: 'read',
    params: {},
    doc: 'Database reachable, migrations current, Logikal configured, uptime.',
    handler: async (_p, ctx) => ctx.services.system.health(),
  }),
  method({
    name: 'system.methods',
    scope: 'read',
    params: {},
    doc: 'The method table: name, scope, params, description.',
    handler: async (_p, ctx) => ctx.services.system.methods(),
  }),
];
