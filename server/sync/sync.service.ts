import { join } from 'node:path';
import { Project, type SyncFailure, type SyncRun, type SyncRunKind } from '../../entities';
import type { Db } from '../db/db';
import { MirrorLookups } from '../db/mirror-lookups';
import type { BridgeConfig } from '../config';
import { NotFoundError, UserError } from '../errors';
import { LogikalClient } from '../logikal';
import { getLogger } from '../logging';
import { PartsListParser } from '../parts/parts-list-parser';
import { MirrorWriter } from './mirror-writer';
import { ProjectSync } from './project-sync';
import { emptyCounters, isStale, RunStore, toResult, type RunTarget } from './run-store';
import { describeFailure } from './failure-reason';
import { Semaphore } from '../semaphore';
import { TreeSync } from './tree-sync';
import type { ProgressListener, ProjectSyncRequest, SyncMode, SyncResult } from './types';

const log = getLogger('sync');

const TERMINAL = new Set(['succeeded', 'partial', 'failed']);

/**
 * Every sync is a SyncRun row executed in this process, independent of the caller's connection;
 * a caller waits at most its wait budget and then polls sync.status.
 */
export class SyncService {
  readonly runs: RunStore;
  private readonly writer: MirrorWriter;
  private readonly parser: PartsListParser;
  private readonly parseLimit = new Semaphore(2);
  private readonly active = new Map<number, Promise<void>>();
  private client: LogikalClient | null = null;
  private readonly lookups: MirrorLookups;

  constructor(
    private readonly db: Db,
    private readonly config: BridgeConfig,
    client?: LogikalClient,
  ) {
    this.runs = new RunStore(db);
    this.writer = new MirrorWriter(db);
    this.lookups = new MirrorLookups(() => db.reader);
    this.parser = new PartsListParser({ tempDir: join(config.dataDir, 'tmp') });
    this.client = client ?? null;
  }

  /** The process-wide Logikal client; one pool of sessions for every run. */
  logikal(): LogikalClient {
    if (this.client) return this.client;
    const { url, username, password, maxSessions } = this.config.logikal;
    if (!url || !username || !password) {
      throw new UserError('Logikal is not configured: set LOGIKAL_URL, LOGIKAL_USERNAME and LOGIKAL_PASSWORD');
    }
    this.client = new LogikalClient({ baseUrl: url, username, password, maxSessions });
    return this.client;
  }

  async startup(): Promise<void> {
    const n = await this.runs.failAbandoned();
    if (n) log.warn(`marked ${n} abandoned sync run(s) as failed`);
  }

  /** Lets running syncs finish (tests, graceful shutdown). */
  async drain(): Promise<void> {
    while (this.active.size) await Promise.allSettled([...this.active.values()]);
  }

  async syncProject(mode: SyncMode, req: ProjectSyncRequest, onProgress?: ProgressListener): Promise<SyncResult> {
    const client = this.logikal();
    const concurrency = Math.max(1, Math.min(req.concurrency ?? this.config.logikal.maxSessions, this.config.logikal.maxSessions));
    const stored = await this.lookups.project(req.projectId, req.directoryId);
    const nameKey = (dir: string, name: string): string => `project:${dir.toLowerCase()}\u0001${name.toLowerCase()}`;
    const key = stored ? `project:${stored.logikalId}` : nameKey(req.directoryId, req.projectId);
    if (stored) {
      // A run started before the mirror knew this project is keyed by directory and name, and it
      // writes the project row early: join it instead of starting a second run of the same project.
      const dir = await this.lookups.directoryOf(stored);
      const early = dir
        ? ((await this.runs.active(nameKey(dir.path, stored.name))) ?? (await this.runs.active(nameKey(dir.path, stored.logikalId))))
        : null;
      if (early) {
        log.info(`joined running sync run ${early.id} for ${req.directoryId}/${req.projectId}`);
        return this.awaitRun(early.id, req.waitSeconds);
      }
    }
    const kind: SyncRunKind = mode === 'force' ? 'force_project' : 'project';
    const target = { directoryPath: req.directoryId, projectRef: req.projectId };
    const { run, created } = await this.runs.begin(kind, target, key, req.requestedBy ?? null);
    if (created) {
      const job = new ProjectSync(
        { client, writer: this.writer, runs: this.runs, parser: this.parser, parseLimit: this.parseLimit, log },
        { runId: run.id, mode, projectRef: req.projectId, directory: req.directoryId, concurrency, onProgress },
      );
      this.track(run.id, job.execute());
    } else {
      log.info(`joined running sync run ${run.id} for ${req.directoryId}/${req.projectId}`);
    }
    return this.awaitRun(run.id, req.waitSeconds);
  }

  /** Odoo's buttons: sync a project the mirror already knows, by its database id. */
  async startStoredProject(projectDbId: number, mode: SyncMode, requestedBy: string): Promise<{ run_id: number; state: string }> {
    const p = await this.lookups.projectById(projectDbId);
    if (!p) throw new NotFoundError(`logikal.project(${projectDbId}) does not exist`);
    const dir = await this.lookups.directoryOf(p);
    if (!dir) throw new UserError(`Project "${p.name}" has no directory in the mirror; run sync.projects first`);
    const r = await this.syncProject(mode, { projectId: p.logikalId, directoryId: dir.path, waitSeconds: 0, requestedBy });
    return { run_id: r.run_id, state: r.state };
  }

  async syncDirectories(waitSeconds: number, requestedBy?: string): Promise<SyncResult> {
    return this.treeRun('directories', {}, 'directories', waitSeconds, requestedBy, (tree, id) => tree.directories(id));
  }

  async syncProjects(directoryId: string, waitSeconds: number, requestedBy?: string): Promise<SyncResult> {
    return this.treeRun(
      'projects',
      { directoryPath: directoryId },
      `projects:${directoryId.toLowerCase()}`,
      waitSeconds,
      requestedBy,
      (tree, id) => tree.projects(id, directoryId),
    );
  }

  private async treeRun(
    kind: SyncRunKind,
    t: RunTarget,
    key: string,
    waitSeconds: number,
    requestedBy: string | undefined,
    work: (tree: TreeSync, runId: number) => Promise<void>,
  ): Promise<SyncResult> {
    const tree = new TreeSync(this.logikal(), this.writer, this.runs, log);
    const { run, created } = await this.runs.begin(kind, t, key, requestedBy ?? null);
    if (created) this.track(run.id, work(tree, run.id));
    return this.awaitRun(run.id, waitSeconds);
  }

  /**
   * Smart-syncs every active mirrored project, one after another. A run row keyed by the UTC date
   * makes this happen once per night however many instances fire the cron.
   */
  async nightly(now = new Date()): Promise<SyncResult | null> {
    const day = now.toISOString().slice(0, 10);
    const key = `nightly:${day}`;
    if (await this.runs.existsForKey(key)) return null;
    const { run, created } = await this.runs.begin('nightly', { day }, key, 'cron');
    if (!created) return null;
    const work = (async () => {
      const stopHeartbeat = this.runs.keepAlive(run.id);
      try {
        await this.nightlyProjects(run.id);
      } finally {
        stopHeartbeat();
      }
    })();
    this.track(run.id, work);
    await work.catch(async (err) => this.runs.finish(run.id, 'failed', `Nightly sync failed: ${describeFailure(err)}`, []));
    return this.status(run.id);
  }

  private async nightlyProjects(runId: number): Promise<void> {
    const projects = await this.db.reader.getRepository(Project).find({ where: { active: true }, order: { id: 'ASC' } });
    const failures: SyncFailure[] = [];
    let ok = 0;
    for (const p of projects) {
      try {
        const dir = await this.lookups.directoryOf(p);
        if (!dir) throw new UserError('no directory in the mirror');
        const r = await this.syncProject('smart', {
          projectId: p.logikalId,
          directoryId: dir.path,
          waitSeconds: 86400,
          requestedBy: 'cron',
        });
        if (r.success) ok++;
        else failures.push({ elevation: `project ${p.name}`, reason: r.message });
      } catch (err) {
        failures.push({ elevation: `project ${p.name}`, reason: describeFailure(err) });
      }
      await this.runs.progress(runId, { ...emptyCounters(), elevationsSynced: ok });
    }
    await this.runs.finish(runId, failures.length ? 'partial' : 'succeeded', `${ok} of ${projects.length} projects synced`, failures);
  }

  async status(runId: number): Promise<SyncResult> {
    const run = await this.runs.get(runId);
    if (!run) throw new NotFoundError(`Sync run ${runId} does not exist`);
    return this.result(run);
  }

  async list(filter: { projectId?: string; limit: number }): Promise<SyncResult[]> {
    let projectDbId: number | undefined;
    if (filter.projectId !== undefined) {
      const p = await this.lookups.projectByNameOrGuid(filter.projectId);
      if (!p) return [];
      projectDbId = p.id;
    }
    return (await this.runs.list({ projectId: projectDbId, limit: filter.limit })).map((r) => this.result(r));
  }

  private result(run: SyncRun): SyncResult {
    return toResult(run);
  }

  private track(runId: number, p: Promise<void>): void {
    const done = p
      .catch((err: unknown) => {
        // Recorded on the run already; kept so a waiting caller gets a not-found error, not a result.
        if (err instanceof NotFoundError) this.notFound.set(runId, err);
      })
      .finally(() => this.active.delete(runId));
    this.active.set(runId, done);
  }

  private readonly notFound = new Map<number, NotFoundError>();

  /** The run's result once terminal or after waitSeconds, whichever is first. */
  private async awaitRun(runId: number, waitSeconds: number): Promise<SyncResult> {
    const deadline = Date.now() + waitSeconds * 1000;
    const local = this.active.get(runId);
    if (local && waitSeconds > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        local,
        new Promise((r) => {
          timer = setTimeout(r, waitSeconds * 1000);
        }),
      ]);
      clearTimeout(timer);
    } else if (waitSeconds > 0) {
      // Running in another instance (or already done): poll the shared row.
      for (;;) {
        const run = await this.runs.get(runId);
        // A stale heartbeat: the instance running it died; begin() fails it on the next request.
        if (!run || TERMINAL.has(run.state) || isStale(run) || Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const run = await this.runs.get(runId);
    if (!run) throw new NotFoundError(`Sync run ${runId} does not exist`);
    const missing = this.notFound.get(runId);
    this.notFound.delete(runId);
    if (run.state === 'failed' && missing) throw missing;
    const successor = run.state === 'failed' ? run.supersededById : null;
    if (successor !== null && successor !== runId) {
      return this.awaitRun(successor, Math.max(0, (deadline - Date.now()) / 1000));
    }
    return this.result(run);
  }
}
