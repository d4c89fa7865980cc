import { method, type MethodDef } from './method-table';
import { param } from './params';
import { describeSchedule } from '../server/scheduler';
import type { SyncMode } from '../server/sync/types';

// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose (refuses them in names)
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const CONTROL_MESSAGE = 'must not contain control characters';

const projectRef = param
  .string()
  .refine((s) => s.trim() !== '' && s.length <= 255, 'expected a project name such as "DOS22309" or its GUID')
  .regex(NO_CONTROL, CONTROL_MESSAGE);
const directoryPath = param
  .string()
  .refine((s) => s.trim() !== '' && s.length <= 1024, 'expected a directory path such as "Demo Odoo"')
  .regex(NO_CONTROL, CONTROL_MESSAGE)
  .refine(
    (s) => !s.startsWith('/') && !s.endsWith('/') && !s.includes('//'),
    'expected segments separated by single "/" (no leading or trailing "/")',
  );
/** Odoo kills a worker after 120 s: the caller never waits longer than 110. */
const waitSeconds = param.number(0, 110).default(25);

const PROJECT_PARAMS = {
  project_id: projectRef,
  directory_id: directoryPath,
  wait_seconds: waitSeconds,
  concurrency: param.integer(1, 64).optional(),
};

function projectMethod(name: string, mode: SyncMode, doc: string): MethodDef {
  return method({
    name,
    scope: 'sync',
    params: PROJECT_PARAMS,
    doc,
    handler: async (p, ctx) =>
      ctx.services.sync.syncProject(mode, {
        projectId: p.project_id,
        directoryId: p.directory_id,
        waitSeconds: p.wait_seconds,
        concurrency: p.concurrency,
        requestedBy: ctx.caller?.name,
      }),
  });
}

export const syncMethods: MethodDef[] = [
  projectMethod(
    'sync.force_project',
    'force',
    'Full refresh of one project from Logikal (metadata, phases, elevations, thumbnails, every parts list). Returns the result, or the running run after wait_seconds.',
  ),
  projectMethod('sync.project', 'smart', 'Smart sync of one project: downloads only elevations whose versionId/changedDate changed.'),
  method({
    name: 'sync.status',
    scope: 'read',
    params: { run_id: param.integer(1) },
    doc: 'State and counters of a sync run: queued, running, succeeded, partial or failed.',
    handler: async (p, ctx) => ctx.services.sync.status(p.run_id),
  }),
  method({
    name: 'sync.runs',
    scope: 'read',
    params: { project_id: projectRef.optional(), limit: param.integer(1, 200).default(20) },
    doc: 'Recent sync runs, newest first, optionally for one project (name or GUID).',
    handler: async (p, ctx) => ctx.services.sync.list({ projectId: p.project_id, limit: p.limit }),
  }),
  method({
    name: 'sync.directories',
    scope: 'sync',
    params: { wait_seconds: waitSeconds },
    doc: 'Mirror the Logikal directory tree.',
    handler: async (p, ctx) => ctx.services.sync.syncDirectories(p.wait_seconds, ctx.caller?.name),
  }),
  method({
    name: 'sync.projects',
    scope: 'sync',
    params: { directory_id: directoryPath, wait_seconds: waitSeconds },
    doc: "Mirror one directory's project list (metadata only).",
    handler: async (p, ctx) => ctx.services.sync.syncProjects(p.directory_id, p.wait_seconds, ctx.caller?.name),
  }),
  method({
    name: 'sync.schedule',
    scope: 'read',
    params: {},
    doc: "The nightly's schedule (SYNC_CRON, SYNC_TZ, next fire time, tracked directories) and the last nightly's summary.",
    handler: async (_p, ctx) => describeSchedule(ctx.services.config, ctx.services.sync.nightlies),
  }),
  method({
    name: 'sync.run_nightly',
    scope: 'admin',
    params: { wait_seconds: waitSeconds },
    doc: 'A nightly now (or joins the one running): every tracked and mirrored project smart-synced. The result, or the running nightly after wait_seconds.',
    // The dispatcher has checked the admin scope, so there is a caller.
    handler: async (p, ctx) => ctx.services.sync.nightlies.runNow(p.wait_seconds, ctx.caller?.name ?? 'unknown'),
  }),
];
