import { method, type MethodDef } from './method-table';
import { param } from './params';

/** Schema health: thin handlers over SchemaHealthService (server/db/schema-health.service.ts). */
export const adminMethods: MethodDef[] = [
  method({
    name: 'admin.check_constraints',
    scope: 'admin',
    params: {},
    doc: 'Compares the live schema with the migrations: unique constraints, indexes, foreign keys, migrations table; counts null-GUID rows.',
    handler: async (_p, ctx) => ctx.services.schema.check(),
  }),
  method({
    name: 'admin.fix_constraints',
    scope: 'admin',
    params: { dry_run: param.boolean().default(false) },
    doc: 'Repairs what check_constraints reports in one transaction (never deletes rows; refuses if duplicates block a unique key). dry_run: only list the statements.',
    handler: async (p, ctx) => ctx.services.schema.fix({ dryRun: p.dry_run }),
  }),
];
