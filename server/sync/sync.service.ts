import type { SyncRun, SyncRunKind } from '../../entities';
import type { Db } from '../db/db';
import { MirrorLookups } from '../db/mirror-lookups';
import { DbCapabilityStore } from '../db/capability-store';
import type { BridgeConfig } from '../config';
import { NotFoundError, UserError } from '../errors';
import { LogikalClient, type ClientStats } from '../logikal';
import { getLogger } from '../logging';
import { PartsListParser } from '../parts/parts-list-parser';
import { partsTempDir } from '../parts/temp-files';
import { MirrorWriter } from './mirror-writer';
import { ProjectSync } from './project-sync';
import { newOwner, RunStore, type RunExtras, type RunTarget } from './run-store';
import { toResult } from './run-result';
import { RunExecutor, type Launch } from './run-executor';
import { currentRunId, LicenceWaits } from './licence-waits';
import { DbSeatBudget } from '../db/db-seat-budget';
import { describeFailure } from './failure-reason';
import { Semaphore } from '../semaphore';
import { TreeSync } from './tree-sync';
import { NightlyService } from './nightly.service';
import type { ProgressListener, ProjectSyncRequest, SyncMode, SyncResult } from './types';
import type { SyncTelemetry } from '../metrics';

const log = getLogger('sync');

const nameKey = (dir: string, name: string): string => `project:${dir.toLowerCase()}\u0001${name.toLowerCase()}`;

/**
 * Every sync is a SyncRun row executed in this process, independent of the caller's connection;
 * a caller waits at most its wait budget and then polls sync.status.
 */
export class SyncService {
  readonly runs: RunStore;
  readonly nightlies: NightlyService;
  private readonly executor: RunExecutor;
  private readonly writer: MirrorWriter;
  private readonly parser: PartsListParser;
  private readonly parseLimit = new Semaphore(2);
  private client: LogikalClient | null = null;
  private seats: DbSeatBudget | null = null;
  private readonly lookups: MirrorLookups;
  private readonly waits: LicenceWaits;
  /** Progress listeners of runs asked for here, used if this instance is the one that claims them. */
  private readonly listeners = new Map<number, ProgressListener>();

  constructor(
    private readonly db: Db,
    private readonly config: BridgeConfig,
    client?: LogikalClient,
    private readonly telemetry: SyncTelemetry = {},
  ) {
    this.runs = new RunStore(db, newOwner(config.instanceId));
    this.executor = new RunExecutor(
      this.runs,
      config.maxActiveRuns,
      log,
      (run) => this.workFor(run),
      (run) =>
        telemetry.runFinished?.({
          kind: run.kind,
          state: run.state,
          seconds: (run.finishedAt!.getTime() - run.startedAt.getTime()) / 1000,
        }),
    );
    this.writer = new MirrorWriter(db);
    this.lookups = new MirrorLookups(() => db.reader);
    this.parser = new PartsListParser({ tempDir: partsTempDir(config.dataDir), onParsed: telemetry.partsListParsed });
    this.client = client ?? null;
    this.waits = new LicenceWaits(this.runs, log);
    this.nightlies = new NightlyService({
      db,
      runs: this.runs,
      lookups: this.lookups,
      config,
      fill: () => this.executor.fill(),
      awaitRun: (id, s) => this.executor.awaitRun(id, s),
      refreshProjects: (dir) => this.syncProjects(dir, 3_600, 'nightly'),
      stopping: () => this.executor.isStopping,
      log,
    });
  }

  /** The process-wide Logikal client; one pool of sessions for every run. */
  logikal(): LogikalClient {
    if (this.client) return this.client;
    const { url, username, password, maxSessions } = this.config.logikal;
    if (!url || !username || !password) {
      throw new UserError('Logikal is not configured: set LOGIKAL_URL, LOGIKAL_USERNAME and LOGIKAL_PASSWORD');
    }
    // What LogiKal allows beyond the strict walk is learnt once per server version and kept in the database.
    const capabilityStore = new DbCapabilityStore(this.db);
    this.client = new LogikalClient({
      baseUrl: url,
      username,
      password,
      maxSessions,
      onRequest: this.telemetry.logikalRequest,
      capabilityStore,
      seats: this.seatBudget() ?? undefined,
      onSeatWait: this.waits.listener,
    });
    return this.client;
  }

  /** On PostgreSQL, LOGIKAL_MAX_SESSIONS is shared by every instance through the database. */
  private seatBudget(): DbSeatBudget | null {
    if (this.db.dialect !== 'postgres') return null;
    this.seats ??= new DbSeatBudget(this.db, this.runs.owner, this.config.logikal.maxSessions, currentRunId);
    return this.seats;
  }

  /** The session pool's counters, once a LogiKal client exists (the status page, metrics). */
  logikalStats(): ClientStats | null {
    return this.client?.stats() ?? null;
  }

  /**
   * Runs an earlier start of this instance left queued or running are interrupted at once (their
   * process is gone), dead runs of others too; then what this instance was interrupted in is
   * resumed, in the background.
   */
  async startup(): Promise<void> {
    const n = await this.runs.reapDead();
    if (n) log.warn(`marked ${n} sync run(s) of a stopped process as interrupted`);
    await this.seatBudget()?.forgetEarlierBoots();
    const claims = !!this.config.logikal.url;
    this.executor.start(claims);
    if (claims) void this.executor.fill();
    const toResume = this.config.logikal.url ? await this.runs.toResume() : [];
    for (const r of toResume) {
      log.info(`resuming interrupted sync run ${r.id} (${r.target})`);
      this.resume(r).catch((err: unknown) => log.warn('could not resume a sync run', { runId: r.id, error: describeFailure(err) }));
    }
  }

  private async resume(r: SyncRun): Promise<unknown> {
    const by = 'resume';
    if ((r.kind === 'force_project' || r.kind === 'project') && r.directoryPath && r.projectRef) {
      const mode: SyncMode = r.kind === 'force_project' ? 'force' : 'smart';
      return this.syncProject(mode, { projectId: r.projectRef, directoryId: r.directoryPath, waitSeconds: 0, requestedBy: by });
    }
    if (r.kind === 'projects' && r.directoryPath) return this.syncProjects(r.directoryPath, 0, by);
    if (r.kind === 'directories') return this.syncDirectories(0, by);
    if (r.kind === 'nightly') return this.nightlies.resume(r);
    return undefined;
  }

  /** A one-shot process (the CLI's sync) is done: it takes no further run from the queue. */
  stopClaiming(): void {
    this.executor.stopAccepting();
  }

  /** Lets running syncs finish (tests). */
  drain(): Promise<void> {
    return this.executor.drain();
  }

  /**
   * Graceful shutdown: no new run starts; running ones stop at their next unit boundary within
   * `graceMs`, then what still runs is aborted and every LogiKal session logged out; the runs end
   * `interrupted`, to be resumed by the next start.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.executor.stopAccepting();
    // A firing claimed just before the signal records its nightly before the runs are interrupted.
    await Promise.race([this.nightlies.settle(), new Promise((r) => setTimeout(r, 5_000).unref())]);
    await this.executor.shutdown(graceMs, async (windowMs) => {
      if (this.client && !(await this.client.shutdown(windowMs))) log.warn('LogiKal sessions still open after the shutdown');
    });
    await this.seats?.close();
  }

  async close(): Promise<void> {
    this.executor.close();
    await this.seats?.close();
  }

  async syncProject(mode: SyncMode, req: ProjectSyncRequest, onProgress?: ProgressListener): Promise<SyncResult> {
    this.executor.assertAccepting();
    this.logikal();
    const concurrency = Math.max(1, Math.min(req.concurrency ?? this.config.logikal.maxSessions, this.config.logikal.maxSessions));
    const stored = await this.lookups.project(req.projectId, req.directoryId);
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
        return this.awaitResult(early.id, req.waitSeconds);
      }
    }
    const kind: SyncRunKind = mode === 'force' ? 'force_project' : 'project';
    const target = { directoryPath: req.directoryId, projectRef: req.projectId };
    const { run, created } = await this.runs.begin(kind, target, key, req.requestedBy ?? null, { concurrency });
    if (created) {
      if (onProgress) this.listeners.set(run.id, onProgress);
      await this.executor.fill();
    } else {
      log.info(`joined running sync run ${run.id} for ${req.directoryId}/${req.projectId}`);
    }
    return this.awaitResult(run.id, req.waitSeconds);
  }

  /** Odoo's buttons: sync a project the mirror already knows, by its database id. Queued, never waited for. */
  async startStoredProject(projectDbId: number, mode: SyncMode, requestedBy: string): Promise<{ run_id: number; state: string }> {
    const p = await this.lookups.projectById(projectDbId);
    if (!p) throw new NotFoundError(`logikal.project(${projectDbId}) does not exist`);
    const dir = await this.lookups.directoryOf(p);
    if (!dir) throw new UserError(`Project "${p.name}" has no directory in the mirror; run sync.projects first`);
    const r = await this.syncProject(mode, { projectId: p.logikalId, directoryId: dir.path, waitSeconds: 0, requestedBy });
    return { run_id: r.run_id, state: r.state };
  }

  async syncDirectories(waitSeconds: number, requestedBy?: string): Promise<SyncResult> {
    return this.treeRun('directories', {}, 'directories', waitSeconds, requestedBy);
  }

  async syncProjects(directoryId: string, waitSeconds: number, requestedBy?: string): Promise<SyncResult> {
    return this.treeRun('projects', { directoryPath: directoryId }, `projects:${directoryId.toLowerCase()}`, waitSeconds, requestedBy);
  }

  private async treeRun(
    kind: SyncRunKind,
    t: RunTarget,
    key: string,
    waitSeconds: number,
    requestedBy: string | undefined,
  ): Promise<SyncResult> {
    this.executor.assertAccepting();
    this.logikal();
    const { run, created } = await this.runs.begin(kind, t, key, requestedBy ?? null);
    if (created) await this.executor.fill();
    return this.awaitResult(run.id, waitSeconds);
  }

  /** A nightly's child: a smart sync of one project, queued for whichever instance has a free slot. */
  async queueChild(project: { logikalId: string; directoryPath: string }, extras: RunExtras): Promise<{ run: SyncRun; created: boolean }> {
    this.executor.assertAccepting();
    const target = { directoryPath: project.directoryPath, projectRef: project.logikalId };
    return this.runs.begin('project', target, `project:${project.logikalId}`, 'nightly', extras);
  }

  /** What a claimed run row does, in whichever instance claimed it. */
  private workFor(run: SyncRun): Launch | null {
    if ((run.kind === 'force_project' || run.kind === 'project') && run.directoryPath && run.projectRef) {
      const max = this.config.logikal.maxSessions;
      const job = new ProjectSync(this.projectDeps(), {
        runId: run.id,
        mode: run.kind === 'force_project' ? 'force' : 'smart',
        projectRef: run.projectRef,
        directory: run.directoryPath,
        concurrency: Math.max(1, Math.min(run.concurrency ?? max, max)),
        onProgress: this.listeners.get(run.id),
        resumeSince: run.resumeSince,
        takenOver: run.takeovers > 0,
      });
      const done = (): void => void this.listeners.delete(run.id);
      return { work: () => job.execute().finally(done), stop: () => job.stop() };
    }
    const tree = (): TreeSync => new TreeSync(this.logikal(), this.writer, this.lookups, this.runs, log);
    if (run.kind === 'projects' && run.directoryPath) {
      const t = tree();
      const dir = run.directoryPath;
      return { work: () => t.projects(run.id, dir), stop: () => t.stop() };
    }
    if (run.kind === 'directories') {
      const t = tree();
      return { work: () => t.directories(run.id), stop: () => t.stop() };
    }
    if (run.kind === 'nightly') return this.nightlies.launch(run, (p, extras) => this.queueChild(p, extras));
    return null;
  }

  private projectDeps(): ConstructorParameters<typeof ProjectSync>[0] {
    return {
      client: this.logikal(),
      writer: this.writer,
      lookups: this.lookups,
      runs: this.runs,
      parser: this.parser,
      parseLimit: this.parseLimit,
      log,
    };
  }

  async status(runId: number): Promise<SyncResult> {
    const run = await this.runs.get(runId);
    if (!run) throw new NotFoundError(`Sync run ${runId} does not exist`);
    return toResult(run, this.runs.owner.instance);
  }

  async list(filter: { projectId?: string; limit: number }): Promise<SyncResult[]> {
    let projectDbId: number | undefined;
    if (filter.projectId !== undefined) {
      const p = await this.lookups.projectByNameOrGuid(filter.projectId);
      if (!p) return [];
      projectDbId = p.id;
    }
    return (await this.runs.list({ projectId: projectDbId, limit: filter.limit })).map((r) => toResult(r, this.runs.owner.instance));
  }

  /** The run's result once terminal or after waitSeconds; a superseded run answers with its successor's. */
  private async awaitResult(runId: number, waitSeconds: number): Promise<SyncResult> {
    const deadline = Date.now() + waitSeconds * 1000;
    const run = await this.executor.awaitRun(runId, waitSeconds);
    const successor = run.state === 'failed' ? run.supersededById : null;
    if (successor !== null && successor !== runId) return this.awaitResult(successor, Math.max(0, (deadline - Date.now()) / 1000));
    return toResult(run, this.runs.owner.instance);
  }
}
