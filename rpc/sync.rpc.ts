import { method, type CallContext, type MethodDef } from './method-table';
import { checks, type ParamSpec } from './params';
import type { SyncMode } from '../server/sync/types';

const CONTROL = /[\u0000-\u001f\u007f]/;

const directoryPath = (v: unknown): string | undefined => {
  const s = v as string;
  if (!s.trim() || s.length > 1024) return 'expected a directory path such as "Demo Odoo"';
  if (CONTROL.test(s)) return 'must not contain control characters';
  if (s.startsWith('/') || s.endsWith('/') || s.includes('//')) return 'expected segments separated by single "/" (no leading or trailing "/")';
  return undefined;
};
const projectRef = (v: unknown): string | undefined => {
  const s = v as string;
  if (!s.trim() || s.length > 255) return 'expected a project name such as "DOS22309" or its GUID';
  return CONTROL.test(s) ? 'must not contain control characters' : undefined;
};

const PROJECT: ParamSpec = { name: 'project_id', type: 'string', required: true, check: projectRef };
const DIRECTORY: ParamSpec = { name: 'directory_id', type: 'string', required: true, check: directoryPath };
/** Odoo kills a worker after 120 s: the caller never waits longer than 110. */
const WAIT: ParamSpec = { name: 'wait_seconds', type: 'number', check: checks.range(0, 110) };
const CONCURRENCY: ParamSpec = { name: 'concurrency', type: 'integer', check: checks.range(1, 64) };

const DEFAULT_WAIT = 25;

function projectHandler(mode: SyncMode) {
  return async (p: Record<string, unknown>, ctx: CallContext) => ctx.services.sync.syncProject(mode, {
    projectId: p.project_id as string,
    directoryId: p.directory_id as string,
    waitSeconds: (p.wait_seconds as number | undefined) ?? DEFAULT_WAIT,
    concurrency: p.concurrency as number | undefined,
    requestedBy: ctx.caller?.name,
  });
}

export const syncMethods: MethodDef[] = [
  method({
    name: 'sync.force_project', scope: 'sync', params: [PROJECT, DIRECTORY, WAIT, CONCURRENCY],
    doc: 'Full refresh of one project from Logikal (metadata, phases, elevations, thumbnails, every parts list). Returns the result, or the running run after wait_seconds.',
    handler: projectHandler('force'),
  }),
  method({
    name: 'sync.project', scope: 'sync', params: [PROJECT, DIRECTORY, WAIT, CONCURRENCY],
    doc: 'Smart sync of one project: downloads only elevations whose versionId/changedDate changed.',
    handler: projectHandler('smart'),
  }),
  method({
    name: 'sync.status', scope: 'read', params: [{ name: 'run_id', type: 'integer', required: true, check: checks.range(1, Number.MAX_SAFE_INTEGER) }],
    doc: 'State and counters of a sync run: queued, running, succeeded, partial or failed.',
    handler: async (p, ctx) => ctx.services.sync.status(p.run_id as number),
  }),
  method({
    name: 'sync.runs', scope: 'read',
    params: [{ name: 'project_id', type: 'string', check: projectRef }, { name: 'limit', type: 'integer', check: checks.range(1, 200) }],
    doc: 'Recent sync runs, newest first, optionally for one project (name or GUID).',
    handler: async (p, ctx) => ctx.services.sync.list({ projectId: p.project_id as string | undefined, limit: (p.limit as number | undefined) ?? 20 }),
  }),
  method({
    name: 'sync.directories', scope: 'sync', params: [WAIT],
    doc: 'Mirror the Logikal directory tree.',
    handler: async (p, ctx) => ctx.services.sync.syncDirectories((p.wait_seconds as number | undefined) ?? DEFAULT_WAIT, ctx.caller?.name),
  }),
  method({
    name: 'sync.projects', scope: 'sync', params: [DIRECTORY, WAIT],
    doc: "Mirror one directory's project list (metadata only).",
    handler: async (p, ctx) => ctx.services.sync.syncProjects(p.directory_id as string, (p.wait_seconds as number | undefined) ?? DEFAULT_WAIT, ctx.caller?.name),
  }),
];
