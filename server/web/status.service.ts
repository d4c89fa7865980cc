import { In, IsNull } from 'typeorm';
import { Directory, Elevation, ElevationGlass, NULL_GUID, Phase, Project, StoredFile, SyncRun } from '../../entities';
import type { BridgeConfig } from '../config';
import type { Db } from '../db/db';
import type { SchemaHealthService } from '../db/schema-health.service';
import { NotFoundError } from '../errors';
import { getLogger } from '../logging';
import { nextRunOf } from '../scheduler';
import { toResult } from '../sync/run-store';
import type { SyncService } from '../sync/sync.service';
import type { SyncResult } from '../sync/types';
import type { SystemService } from '../system.service';
import type { ElevationView, NightlyView, Overview, ProjectRow, ProjectView, RunView } from './status.types';

const log = getLogger('web');

/** The constraint check takes the writer (db.exclusive): run it at most this often, never per page poll. */
const CONSTRAINTS_EVERY_MS = 5 * 60_000;
const RECENT_RUNS = 25;
/** The child runs shown under the recent nightlies, all together (a nightly over many projects with retries has hundreds). */
const MAX_CHILDREN = 2000;

/**
 * What the status page shows, read through `db.reader` (never waits for a sync, sees committed
 * rows only): recent runs with the nightly runs' children, the mirrored projects, a project with
 * its phases and parsed elevations, the LogiKal session pool, the next nightly and schema health.
 */
export class StatusService {
  private constraints: Overview['schema']['constraints'] = null;
  private constraintsAt = 0;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly config: BridgeConfig,
    private readonly sync: SyncService,
    private readonly system: SystemService,
    private readonly schema: SchemaHealthService,
  ) {}

  async overview(): Promise<Overview> {
    this.refreshConstraints();
    // The first check usually takes milliseconds: worth a short wait so the page shows a result, not "checking".
    if (this.checking && !this.constraints) await Promise.race([this.checking, new Promise((r) => setTimeout(r, 1000))]);
    const [runs, projects, health, nightly] = await Promise.all([this.recentRuns(), this.projects(), this.system.health(), this.nightly()]);
    const pool = this.sync.logikalStats();
    return {
      runs,
      projects,
      logikal: {
        configured: !!this.config.logikal.url,
        sessions_open: pool?.open ?? 0,
        sessions_max: this.config.logikal.maxSessions,
        effective_limit: pool?.effectiveLimit ?? this.config.logikal.maxSessions,
        waiting: pool?.waiting ?? 0,
        refused_logins: pool?.refusedLogins ?? 0,
      },
      nightly,
      schema: { database: health.database, migrations: health.migrations, constraints: this.constraints },
      version: health.version,
    };
  }

  async project(id: number): Promise<ProjectView> {
    const m = this.db.reader;
    const p = await m.getRepository(Project).findOneBy({ id });
    if (!p) throw new NotFoundError(`Project ${id} is not in the mirror`);
    const [dir, phases, elevations, runs] = await Promise.all([
      p.directoryId ? m.getRepository(Directory).findOneBy({ id: p.directoryId }) : null,
      m.getRepository(Phase).find({ where: { projectId: id }, order: { active: 'DESC', name: 'ASC' } }),
      m.getRepository(Elevation).find({ where: { projectId: id }, order: { active: 'DESC', name: 'ASC' } }),
      m.getRepository(SyncRun).find({ where: { projectId: id }, order: { id: 'DESC' }, take: 10 }),
    ]);
    const glass = elevations.length
      ? await m.getRepository(ElevationGlass).find({ where: { elevationId: In(elevations.map((e) => e.id)) }, order: { id: 'ASC' } })
      : [];
    // An elevation whose parts list failed keeps its earlier data (or none): its reason is on the last finished run.
    const failureOf = new Map((runs.find((r) => r.finishedAt !== null)?.failures ?? []).map((f) => [f.elevation, f.reason]));
    const glassOf = new Map<number, string[]>();
    for (const g of glass) glassOf.set(g.elevationId, [...(glassOf.get(g.elevationId) ?? []), g.name ?? g.nameShort ?? g.glassId]);
    return {
      id: p.id,
      name: p.name,
      directory: dir?.path ?? null,
      active: p.active,
      last_synced_at: p.lastSyncedAt?.toISOString() ?? null,
      phases: phases.map((ph) => ({
        id: ph.id,
        name: ph.name,
        is_default: ph.logikalId === NULL_GUID,
        active: ph.active,
        elevations: elevations
          .filter((e) => e.phaseId === ph.id)
          .map((e) => elevationView(e, glassOf.get(e.id) ?? [], failureOf.get(e.name) ?? null)),
      })),
      runs: runs.map((r) => runView(r, [], new Map([[p.id, p.name]]))),
    };
  }

  /** The thumbnail's bytes and type, or null when the elevation has none. */
  async thumbnail(elevationId: number): Promise<{ bytes: Buffer; contentType: string } | null> {
    const row = await this.db.reader
      .getRepository(StoredFile)
      .createQueryBuilder('f')
      .innerJoin(Elevation, 'e', 'e.thumbnailFileId = f.id')
      .where('e.id = :id', { id: elevationId })
      .select(['f.id', 'f.content'])
      .getOne();
    return row ? { bytes: row.content, contentType: imageType(row.content) } : null;
  }

  /** The schedule and the latest nightly's summary; the page needs no child list (the runs list nests them). */
  private async nightly(): Promise<NightlyView> {
    const { syncCron: cron, syncTimezone: timezone } = this.config;
    const next = cron === null ? null : nextRunOf(cron, new Date(), timezone);
    const last = await this.sync.nightlies.lastNightly().catch((err: unknown) => {
      log.warn('the last nightly for the status page could not be read', { error: err });
      return null;
    });
    return {
      enabled: cron !== null,
      cron,
      timezone,
      next: next?.toISOString() ?? null,
      last: last && {
        run_id: last.run_id,
        state: last.state,
        fire_at: last.fire_at,
        started_at: last.started_at,
        finished_at: last.finished_at,
        projects_total: last.projects_total,
        projects_synced: last.projects_synced,
        projects_failed: last.projects_failed,
        message: last.message,
      },
    };
  }

  /** Newest runs first; a nightly run carries its child runs (each try of each project), which are not listed on their own. */
  private async recentRuns(): Promise<RunView[]> {
    const repo = this.db.reader.getRepository(SyncRun);
    const recent = await repo.find({ where: { parentRunId: IsNull() }, order: { id: 'DESC' }, take: RECENT_RUNS });
    const nightlyIds = recent.filter((r) => r.kind === 'nightly').map((r) => r.id);
    const children = nightlyIds.length
      ? await repo.find({ where: { parentRunId: In(nightlyIds) }, order: { id: 'DESC' }, take: MAX_CHILDREN })
      : [];
    // Newest first, so a cut spares the latest nightlies; each nightly lists its children oldest first.
    const childrenOf = new Map<number, SyncRun[]>();
    for (const c of children) childrenOf.set(c.parentRunId!, [c, ...(childrenOf.get(c.parentRunId!) ?? [])]);
    const names = await this.projectNames([...recent, ...children]);
    return recent.map((r) => runView(r, childrenOf.get(r.id) ?? [], names));
  }

  /** The mirrored name of each run's project: a run knows the project as the caller named it (often a GUID). */
  private async projectNames(runs: SyncRun[]): Promise<Map<number, string>> {
    const ids = [...new Set(runs.map((r) => r.projectId).filter((id): id is number => id !== null))];
    const rows = ids.length
      ? await this.db.reader.getRepository(Project).find({ where: { id: In(ids) }, select: { id: true, name: true } })
      : [];
    return new Map(rows.map((p) => [p.id, p.name]));
  }

  private async projects(): Promise<ProjectRow[]> {
    const m = this.db.reader;
    const [projects, dirs, counts] = await Promise.all([
      m.getRepository(Project).find({ order: { active: 'DESC', name: 'ASC' }, take: 500 }),
      m.getRepository(Directory).find({ select: { id: true, path: true } }),
      m
        .getRepository(Elevation)
        .createQueryBuilder('e')
        .select('e.projectId', 'project_id')
        .addSelect('COUNT(*)', 'elevations')
        .addSelect("SUM(CASE WHEN e.parseStatus = 'failed' THEN 1 ELSE 0 END)", 'failed')
        .where('e.active = :active', { active: true })
        .groupBy('e.projectId')
        .getRawMany<{ project_id: number | string; elevations: number | string; failed: number | string | null }>(),
    ]);
    const pathOf = new Map(dirs.map((d) => [d.id, d.path]));
    const countOf = new Map(counts.map((c) => [Number(c.project_id), { n: Number(c.elevations), failed: Number(c.failed ?? 0) }]));
    return projects.map((p) => ({
      id: p.id,
      name: p.name,
      directory: p.directoryId ? (pathOf.get(p.directoryId) ?? null) : null,
      active: p.active,
      elevations: countOf.get(p.id)?.n ?? 0,
      failed_parses: countOf.get(p.id)?.failed ?? 0,
      last_synced_at: p.lastSyncedAt?.toISOString() ?? null,
    }));
  }

  private refreshConstraints(): void {
    if (this.checking || Date.now() - this.constraintsAt < CONSTRAINTS_EVERY_MS) return;
    this.checking = this.schema
      .check()
      .then((r) => {
        this.constraints = { ok: r.ok, problems: r.problems.length, checked_at: new Date().toISOString() };
      })
      .catch((err: unknown) => {
        log.warn('schema check for the status page failed', { error: err });
      })
      .finally(() => {
        this.constraintsAt = Date.now();
        this.checking = null;
      });
  }
}

function runView(r: SyncRun, children: SyncRun[], names: Map<number, string>): RunView {
  const result: SyncResult = toResult(r);
  return {
    ...result,
    target: r.target,
    project_db_id: r.projectId,
    project_name: r.projectId !== null ? (names.get(r.projectId) ?? null) : null,
    requested_by: r.requestedBy,
    children: children.map((c) => runView(c, [], names)),
  };
}

function elevationView(e: Elevation, glass: string[], lastFailure: string | null): ElevationView {
  return {
    id: e.id,
    name: e.name,
    active: e.active,
    thumbnail: e.thumbnailFileId !== null,
    parse_status: e.parseStatus,
    parse_error: lastFailure ?? e.parseError,
    system: e.systemName ?? e.systemLongName ?? e.systemCode,
    description: e.autoDescriptionShort ?? e.autoDescription,
    width: e.widthOut,
    height: e.heightOut,
    size_unit: e.widthUnit ?? e.heightUnit,
    weight: e.weightOut,
    weight_unit: e.weightUnit,
    parts_count: e.partsCount,
    glass,
  };
}

/** The image type by its magic bytes (LogiKal's thumbnails are PNG; the check keeps a wrong guess from reaching a browser). */
function imageType(b: Buffer): string {
  if (b.subarray(0, 8).toString('hex') === '89504e470d0a1a0a') return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif';
  if (b.subarray(0, 2).toString('latin1') === 'BM') return 'image/bmp';
  return 'application/octet-stream';
}
