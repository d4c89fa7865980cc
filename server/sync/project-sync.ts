import type { Logger } from 'winston';
import type { Elevation, Phase, Project, SyncFailure } from '../../entities';
import type { LogikalClient, LogikalElevation, LogikalPhase, LogikalProject, LogikalSession, UnitOptions } from '../logikal';
import { LogikalProtocolError, LogikalSessionLostError } from '../logikal';
import { isGuid as looksLikeGuid } from '../guid';
import type { MirrorLookups } from '../db/mirror-lookups';
import { PartsListError, type PartsListParser } from '../parts/parts-list-parser';
import { NotFoundError, UserError } from '../errors';
import { LeaseStash } from './lease-stash';
import { sha256, type MirrorWriter } from './mirror-writer';
import { changeKey, ElevationPlan } from './elevation-plan';
import { emptyCounters, type Counters, type RunStore } from './run-store';
import { Semaphore } from '../semaphore';
import type { ProgressListener, SyncMode } from './types';
import { describeFailure, missingDirectory } from './failure-reason';
import { interruptedSummary, isShutdown, projectSummary, worthAnotherPass } from './sync-outcome';

export interface ProjectSyncDeps {
  client: LogikalClient;
  writer: MirrorWriter;
  lookups: MirrorLookups;
  runs: RunStore;
  parser: PartsListParser;
  /** Parses at once: node-sqlite3 shares libuv's small thread pool. */
  parseLimit: Semaphore;
  log: Logger;
}

export interface ProjectSyncJob {
  runId: number;
  mode: SyncMode;
  projectRef: string;
  directory: string;
  concurrency: number;
  onProgress?: ProgressListener;
  /** Resuming an interrupted run: parts lists (and thumbnails) stored since then are done. */
  resumeSince?: Date | null;
}

interface PhaseListing {
  phase: LogikalPhase;
  elevations: LogikalElevation[];
  thumbnails: Map<string, Buffer>;
  thumbnailErrors: Map<string, unknown>;
}

interface PartsUnit {
  phase: Phase;
  row: Elevation;
  e: LogikalElevation;
}

const HEARTBEAT_MS = 10_000;

class SupersededError extends Error {
  constructor(readonly runId: number) {
    super(`superseded by run ${runId}`);
  }
}

export function supersededMessage(runId: number): string {
  return `Superseded by run ${runId}, which syncs the same project`;
}

/**
 * One project sync: the project's metadata, every phase (the null-GUID default phase too), every
 * elevation with its thumbnail, then each elevation's parts list in its own session, in parallel up
 * to the run's concurrency. Force mode downloads everything; smart mode only what changed; a resumed
 * run skips what the interrupted one finished. Parts lists that failed transiently get one more
 * pass before the run ends. stop() ends it at the next unit boundary as `interrupted`.
 */
export class ProjectSync {
  private readonly counters: Counters = emptyCounters();
  private readonly failures: SyncFailure[] = [];
  /** Parts-list failures by elevation, so a final pass that succeeds can take them back. */
  private readonly partsFailures = new Map<string, { failure: SyncFailure; unit: PartsUnit; retry: boolean }>();
  private readonly limiter: Semaphore;
  private readonly stash: LeaseStash;
  private plan = new ElevationPlan([], 'force', null);
  private project!: Project;
  private logikalProject!: LogikalProject;
  private stopped = false;
  private resumedSkipped = 0;

  /** Every session of this run, replays included, comes from the run's stash first. */
  private readonly sessions: UnitOptions;

  constructor(
    private readonly deps: ProjectSyncDeps,
    private readonly job: ProjectSyncJob,
  ) {
    this.limiter = new Semaphore(job.concurrency);
    this.stash = new LeaseStash(deps.client);
    this.sessions = { acquire: () => this.stash.lease() };
  }

  /** Shutdown: no new unit starts; the run ends as interrupted once the running ones are done or aborted. */
  stop(): void {
    this.stopped = true;
  }

  /** Runs to the end and records the outcome on the run row; throws only NotFound (after recording). */
  async execute(): Promise<void> {
    const heartbeat = setInterval(() => void this.flush(), HEARTBEAT_MS);
    heartbeat.unref();
    const name = (): string => this.logikalProject?.name ?? this.job.projectRef;
    try {
      await this.sync();
      if (this.stopped) {
        await this.deps.runs.interrupt(this.job.runId, interruptedSummary(name(), this.counters), this.failures, this.counters);
        return;
      }
      const state = this.failures.length ? 'partial' : 'succeeded';
      const message = projectSummary(name(), this.job.mode, this.failures, this.counters, this.resumedSkipped);
      await this.deps.runs.finish(this.job.runId, state, message, this.failures, this.counters);
    } catch (err) {
      if (err instanceof SupersededError) {
        // The same project, asked for by name and by GUID at once: the other run does the work.
        await this.deps.runs
          .finish(this.job.runId, 'failed', supersededMessage(err.runId), [], this.counters, err.runId)
          .catch(() => undefined);
        return;
      }
      if (this.stopped || isShutdown(err)) {
        await this.deps.runs
          .interrupt(this.job.runId, interruptedSummary(name(), this.counters), this.failures, this.counters)
          .catch(() => undefined);
        return;
      }
      const message = err instanceof NotFoundError || err instanceof UserError ? err.message : `Sync failed: ${describeFailure(err)}`;
      this.deps.log.warn('project sync failed', { runId: this.job.runId, error: err });
      await this.deps.runs.finish(this.job.runId, 'failed', message, this.failures, this.counters).catch(() => undefined);
      if (err instanceof NotFoundError) throw err;
    } finally {
      clearInterval(heartbeat);
      await this.stash.close();
    }
  }

  private async sync(): Promise<void> {
    const { client } = this.deps;
    const dir = this.job.directory;
    this.plan = new ElevationPlan(await this.deps.writer.knownElevations(this.job.projectRef, dir), this.job.mode, this.job.resumeSince);
    // One login for the first session, plus, for force, one per further parallel task (every
    // elevation needs a session) or, for smart, one per further phase we know of. A project the
    // mirror does not know may not exist: its further logins wait until LogiKal has listed it.
    const c = this.job.concurrency;
    const further = Math.max(0, this.job.mode === 'force' ? c - 1 : Math.min(c - 1, this.plan.phaseCount - 1));
    this.stash.prefetch(this.plan.size ? 1 + further : 1);

    // One session lists the project, its phases and the first phase's elevations.
    const first = await this.limiter
      .run(async () =>
        client.withPath(
          { directory: dir },
          async (s) => {
            const p = this.pickProject(await s.listProjects());
            await s.selectProject(p.id);
            const details = await s.getSelectedProject().catch(() => p);
            const phases = await s.listPhases();
            const listing = phases.length ? await this.listPhase(s, phases[0], true) : undefined;
            return { project: { ...p, ...details, id: p.id }, phases, listing };
          },
          this.sessions,
        ),
      )
      .catch((err: unknown) => {
        throw missingDirectory(err, dir);
      });
    if (!this.plan.size) this.stash.prefetch(further);

    this.logikalProject = first.project;
    const other = await this.deps.runs.rekey(this.job.runId, `project:${first.project.id.toLowerCase()}`);
    if (other !== null) throw new SupersededError(other);
    const directoryId = await this.deps.writer.directory(dir);
    this.project = await this.deps.writer.project(first.project, directoryId);
    await this.deps.runs.setProject(this.job.runId, this.project.id);

    if (!first.phases.length) await this.confirmNoPhases();
    const phases: Phase[] = [];
    for (const ph of first.phases) phases.push(await this.deps.writer.phase(this.project.id, ph));
    await this.deps.writer.retirePhases(
      this.project.id,
      phases.map((p) => p.id),
    );
    this.counters.phasesSynced = phases.length;
    await this.flush();

    const work: Array<Promise<void>> = [];
    const perPhase = first.phases.map(async (ph, i) => {
      const listing =
        i === 0 && first.listing
          ? first.listing
          : await this.limiter
              .run(async () => {
                if (this.stopped) return undefined;
                return client.withPath(
                  { directory: dir, projectId: this.project.logikalId, phaseId: ph.id },
                  (s) => this.listPhase(s, ph, false),
                  this.sessions,
                );
              })
              .catch((err: unknown) => {
                if (!this.stopped && !isShutdown(err)) this.fail(`phase "${ph.name}"`, err);
                return undefined;
              });
      if (listing) work.push(...(await this.storePhase(phases[i], listing)));
    });
    // Settle everything before judging: a run must not be finished while its tasks still write.
    const listed = await Promise.allSettled(perPhase);
    const stored = await Promise.allSettled(work);
    const broken = [...listed, ...stored].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (broken) throw broken.reason;
    await this.finalPass();
    if (!this.stopped) await this.deps.writer.markProjectSynced(this.project.id);
  }

  private pickProject(projects: LogikalProject[]): LogikalProject {
    const ref = this.job.projectRef;
    const isGuid = looksLikeGuid(ref);
    const matches = projects.filter((p) => (isGuid ? p.id.toLowerCase() === ref.toLowerCase() : p.name === ref));
    if (matches.length === 0) throw new NotFoundError(`Project "${ref}" not found in Logikal directory "${this.job.directory}"`);
    if (matches.length > 1)
      throw new UserError(`${matches.length} projects are named "${ref}" in "${this.job.directory}"; pass the project GUID instead`);
    return matches[0];
  }

  /**
   * LogiKal listed no phase at all (every project has its default phase): before the mirror's
   * phases are retired, a second listing on a fresh session must say the same.
   */
  private async confirmNoPhases(): Promise<void> {
    if (!(await this.deps.lookups.activeChildren({ phasesOf: this.project.id }))) return;
    const again = await this.deps.client.withPath(
      { directory: this.job.directory, projectId: this.project.logikalId },
      (s) => s.listPhases(),
      this.sessions,
    );
    if (again.length) {
      throw new LogikalProtocolError(
        `Logikal listed no phases for "${this.logikalProject.name}", then ${again.length}: nothing was retired`,
      );
    }
  }

  /** The same for a phase whose elevations all vanished: true when a fresh listing confirms it. */
  private async confirmNoElevations(phase: Phase): Promise<boolean> {
    if (!(await this.deps.lookups.activeChildren({ elevationsOf: phase.id }))) return true;
    const again = await this.deps.client.withPath(
      { directory: this.job.directory, projectId: this.project.logikalId, phaseId: phase.logikalId },
      (s) => s.listElevations(),
      this.sessions,
    );
    if (!again.length) return true;
    this.fail(`phase "${phase.name}"`, new LogikalProtocolError(`Logikal listed no elevations, then ${again.length}: nothing was retired`));
    return false;
  }

  /** In phase state: the elevation list and the thumbnails this run needs (no elevation select needed). */
  private async listPhase(s: LogikalSession, ph: LogikalPhase, selectFirst: boolean): Promise<PhaseListing> {
    if (selectFirst) await s.selectPhase(ph.id);
    const elevations = await s.listElevations();
    const thumbnails = new Map<string, Buffer>();
    const thumbnailErrors = new Map<string, unknown>();
    for (const e of elevations) {
      if (this.stopped) break;
      if (!this.plan.wantsThumbnail(ph.id, e)) continue;
      try {
        thumbnails.set(e.id, await s.getThumbnail(e.id));
      } catch (err) {
        // A lost session would fail every further thumbnail: replay the unit instead.
        if (err instanceof LogikalSessionLostError || isShutdown(err)) throw err;
        thumbnailErrors.set(e.id, err);
      }
    }
    return { phase: ph, elevations, thumbnails, thumbnailErrors };
  }

  private async storePhase(phase: Phase, listing: PhaseListing): Promise<Array<Promise<void>>> {
    const tasks: Array<Promise<void>> = [];
    const keep: number[] = [];
    const complete = listing.elevations.length > 0 || (await this.confirmNoElevations(phase).catch(() => false));
    if (!complete) return tasks;
    this.counters.elevationsTotal += listing.elevations.length;
    for (const e of listing.elevations) {
      const thumb = listing.thumbnails.get(e.id) ?? null;
      const thumbError = listing.thumbnailErrors.get(e.id);
      if (thumbError !== undefined) this.fail(`${e.name} (thumbnail)`, thumbError);
      const row = await this.deps.writer.elevation(phase, e, thumb, thumbError !== undefined);
      keep.push(row.id);
      this.counters.elevationsSynced++;
      if (thumb) this.counters.thumbnailsSynced++;
      const wantParts = this.plan.wantsPartsList(listing.phase.id, e);
      if (wantParts && this.plan.doneByResumedRun(listing.phase.id, e)) {
        this.resumedSkipped++;
        this.counters.partsListsUnchanged++;
      } else if (wantParts) tasks.push(this.limiter.run(() => this.syncPartsList({ phase, row, e })));
      // Counted so that synced + unchanged + failed = elevations listed, in both modes.
      else this.counters.partsListsUnchanged++;
    }
    // The listing was complete: whatever the phase no longer has is marked gone, not dropped.
    await this.deps.writer.retireElevations(phase.id, keep);
    await this.flush();
    return tasks;
  }

  private async syncPartsList(unit: PartsUnit, finalPass = false): Promise<void> {
    const { phase, row, e } = unit;
    const { client, writer, parser, parseLimit } = this.deps;
    // A unit not started by the shutdown stays undone (not failed): the resume does it.
    if (this.stopped) return;
    try {
      const bytes = await client.withPath(
        { directory: this.job.directory, projectId: this.project.logikalId, phaseId: phase.logikalId, elevationId: e.id },
        (s) => s.getPartsList(),
        this.sessions,
      );
      const hash = sha256(bytes);
      const before = this.plan.stored(phase.logikalId, e);
      if (before?.partsListSha256 === hash && before.parseStatus === 'success') {
        await writer.touchPartsList(row.id, changeKey(e));
        // A force sync reports every verified download as synced (the contract Odoo knows); the
        // parse is skipped because the bytes are the ones already parsed.
        if (this.job.mode === 'force') this.counters.partsListsSynced++;
        else this.counters.partsListsUnchanged++;
      } else {
        const parsed = await parseLimit.run(() => parser.parse(bytes, e.name));
        await writer.storePartsList(row.id, bytes, hash, parsed, changeKey(e));
        this.counters.partsListsSynced++;
      }
      if (finalPass) this.forgive(e.id);
    } catch (err) {
      if (this.stopped || isShutdown(err)) return;
      if (!finalPass) {
        this.counters.partsListsFailed++;
        const failure = this.fail(e.name, err);
        this.partsFailures.set(e.id, { failure, unit, retry: worthAnotherPass(err) });
      }
    }
    await this.flush();
  }

  /** One more try, on fresh sessions, for the parts lists that failed transiently. */
  private async finalPass(): Promise<void> {
    const again = [...this.partsFailures.values()].filter((f) => f.retry);
    if (!again.length || this.stopped) return;
    this.deps.log.info('final pass over failed parts lists', { runId: this.job.runId, count: again.length });
    await Promise.allSettled(again.map((f) => this.limiter.run(() => this.syncPartsList(f.unit, true))));
  }

  /** A parts list the final pass got: its earlier failure no longer counts. */
  private forgive(elevationId: string): void {
    const f = this.partsFailures.get(elevationId);
    if (!f) return;
    this.partsFailures.delete(elevationId);
    this.failures.splice(this.failures.indexOf(f.failure), 1);
    this.counters.partsListsFailed--;
  }

  private fail(what: string, err: unknown): SyncFailure {
    const reason = err instanceof PartsListError ? `parts list rejected (${err.reason}): ${err.message}` : describeFailure(err);
    const failure = { elevation: what, reason };
    this.failures.push(failure);
    this.deps.log.warn(`sync failure: ${what}`, { runId: this.job.runId, reason });
    return failure;
  }

  private async flush(): Promise<void> {
    this.job.onProgress?.({
      done: this.counters.partsListsSynced + this.counters.partsListsUnchanged + this.counters.partsListsFailed,
      total: this.counters.elevationsTotal,
      state: 'running',
    });
    await this.deps.runs
      .progress(this.job.runId, this.counters)
      .catch((err: unknown) => this.deps.log.warn('progress write failed', { error: err }));
  }
}
