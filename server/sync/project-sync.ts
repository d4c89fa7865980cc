import type { Logger } from 'winston';
import type { Phase, Project, SyncFailure } from '../../entities';
import type { HeldSession, LogikalClient, LogikalPath, LogikalPhase } from '../logikal';
import type { LogikalElevation, LogikalProject, LogikalSession, SessionLease } from '../logikal';
import type { MirrorLookups } from '../db/mirror-lookups';
import { PartsListError, type PartsListParser } from '../parts/parts-list-parser';
import { NotFoundError, UserError } from '../errors';
import { furtherLogins, LeaseStash } from './lease-stash';
import type { MirrorWriter } from './mirror-writer';
import { ElevationPlan } from './elevation-plan';
import { emptyCounters, type Counters, type RunStore } from './run-store';
import { Semaphore } from '../semaphore';
import type { ProgressListener, SyncMode } from './types';
import { describeFailure, missingDirectory } from './failure-reason';
import { interruptedSummary, isShutdown, projectSummary } from './sync-outcome';
import { PartsListUnits } from './parts-list-units';
import { listPhase, pickProject, type PhaseListing } from './phase-listing';
import { StrictPhases } from './strict-phases';
import type { ThumbnailJobs } from './thumbnail-jobs';
import { PhaseRows } from './phase-rows';
import { takeSeat } from './elevation-crew';
import { ReusingPhases, type FirstSession, type ListedPhase } from './reusing-phases';

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
  /** This run's own earlier execution (its instance died): what it stored counts as synced by the run. */
  takenOver?: boolean;
}

/** What the first session of a run found: the project, its phases and the first phase's listing. */
interface FirstListing {
  project: LogikalProject;
  phases: LogikalPhase[];
  listing: PhaseListing | undefined;
  session?: FirstSession; // kept (reuse): the first session, standing in the first phase
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
 * elevation with its thumbnail, then each elevation's parts list, in parallel up to the run's
 * concurrency. Against a strict LogiKal (known to refuse sibling selects) each parts list has a
 * fresh session of its own; otherwise a phase's parts lists are spread over up to `concurrency`
 * sessions that select them one after another (ReusingPhases, ElevationCrew), and the first
 * sideways select of a server not known yet is the probe. Force mode downloads everything; smart
 * mode only what changed; a resumed run skips what the interrupted one finished. Parts lists that
 * failed transiently get one more pass before the run ends. stop() ends it at the next unit
 * boundary as `interrupted`.
 */
export class ProjectSync {
  private readonly counters: Counters = emptyCounters();
  private readonly failures: SyncFailure[] = [];
  private readonly units: PartsListUnits;
  private reuse: ReusingPhases | undefined;
  private readonly strict: StrictPhases;
  private readonly phaseRows: PhaseRows;
  /** The project's and its phases' rows, being written since the first session listed the phases. */
  private rows: { phases: LogikalPhase[]; done: Promise<ListedPhase[]> } | undefined;
  private readonly limiter: Semaphore;
  private readonly stash: LeaseStash;
  private plan = new ElevationPlan([], 'force', null);
  private project!: Project;
  private logikalProject!: LogikalProject;
  /** The project's LogiKal id, known from the first session's listing on. */
  private projectLogikalId = '';
  private stopped = false;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;

  /** Every session of this run, replays included, comes from the run's stash first. */
  private readonly sessions: { acquire: () => Promise<SessionLease> };

  constructor(
    private readonly deps: ProjectSyncDeps,
    private readonly job: ProjectSyncJob,
  ) {
    this.limiter = new Semaphore(job.concurrency);
    this.stash = new LeaseStash(deps.client);
    this.sessions = { acquire: () => this.stash.lease() };
    this.units = new PartsListUnits({
      ...deps,
      runId: job.runId,
      mode: job.mode,
      directory: job.directory,
      sessions: this.sessions,
      counters: this.counters,
      failures: this.failures,
      plan: () => this.plan,
      projectLogikalId: () => this.project.logikalId,
      stopped: () => this.stopped,
      fail: (what, err) => this.fail(what, err),
      flush: () => this.flush(),
    });
    this.phaseRows = new PhaseRows({
      ...deps,
      sessions: this.sessions,
      directory: job.directory,
      takenOver: job.takenOver === true,
      counters: this.counters,
      plan: () => this.plan,
      project: () => this.project,
      fail: (what, err) => this.fail(what, err),
      flush: () => this.flush(),
    });
    this.strict = new StrictPhases({
      ...deps,
      units: this.units,
      limiter: this.limiter,
      sessions: this.sessions,
      stopped: () => this.stopped,
      phasePath: this.phasePath,
      listPhase: (s, ph) => this.listPhase(s, ph, false),
      storePhase: (row, listing) => this.phaseRows.store(row, listing),
      failPhase: (ph, err) => this.failPhase(ph, err),
    });
  }

  /** Shutdown: no new unit starts; the run ends as interrupted once the running ones are done or aborted. */
  stop(): void {
    this.stopped = true;
    this.reuse?.stop();
  }

  /** Runs to the end and records the outcome on the run row; throws only NotFound (after recording). */
  async execute(): Promise<void> {
    const heartbeat = setInterval(() => void this.flush(), HEARTBEAT_MS);
    heartbeat.unref();
    const name = (): string => this.logikalProject?.name ?? this.job.projectRef;
    // No progress write may land after the run's outcome: the heartbeat stops and the last one is awaited.
    const lastProgress = async (): Promise<void> => {
      clearInterval(heartbeat);
      await this.flushing;
    };
    try {
      await this.sync();
      await lastProgress();
      if (this.stopped) {
        await this.deps.runs.interrupt(this.job.runId, interruptedSummary(name(), this.counters), this.failures, this.counters);
        return;
      }
      const state = this.failures.length ? 'partial' : 'succeeded';
      const message = projectSummary(name(), this.job.mode, this.failures, this.counters, this.phaseRows.resumedSkipped);
      await this.deps.runs.finish(this.job.runId, state, message, this.failures, this.counters);
    } catch (err) {
      await lastProgress();
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
    // How many further logins depends on how LogiKal behaves, as last known (a new process: strict).
    const further = furtherLogins(this.job.mode, this.job.concurrency, this.plan, client.capabilities);
    // A project the mirror does not know may not exist: its further logins wait until LogiKal has listed it.
    this.stash.prefetch(this.plan.size ? 1 + further : 1);
    let first: FirstListing;
    try {
      first = await this.firstListing(further);
    } catch (err) {
      await Promise.all([this.reuse?.abandon(), this.strict.abandon(), this.rows?.done.catch(() => undefined)]);
      throw err;
    }
    if (!first.session) await this.reuse?.abandon();
    try {
      const listed = await this.projectRows(first);
      const session = first.session;
      first.session = undefined;
      await (session ? this.reusing(session, listed, first.listing) : this.strict.run(listed, first.listing));
    } finally {
      await first.session?.held.release();
      first.session?.free();
      await Promise.all([this.reuse?.abandon(), this.strict.abandon()]);
    }
    await this.units.finalPass(this.limiter);
    if (!this.stopped) await this.deps.writer.markProjectSynced(this.project.id);
  }

  /**
   * One session lists the project, its phases and the first phase's elevations, and is kept when
   * sessions are reused. Which LogiKal this is (GET /version, no seat, asked right after the login)
   * decides how the run uses its sessions; it is known once the project is found, so that a force
   * sync starts its other sessions (ReusingPhases) or its other phases' listings (StrictPhases)
   * while the first session lists — also on the first run of a process. The project's rows are
   * written meanwhile.
   */
  private async firstListing(further: number): Promise<FirstListing> {
    const { client } = this.deps;
    const dir = this.job.directory;
    let prefetched = false;
    let identified: Promise<void> | undefined;
    let reuse = false;
    const unit = async (s: LogikalSession): Promise<FirstListing> => {
      identified ??= client.capabilities.refresh();
      const p = pickProject(await s.listProjects(), this.job.projectRef, dir);
      this.projectLogikalId = p.id;
      // The project exists: the further logins start now, while the rest is listed.
      if (!this.plan.size && !prefetched) this.stash.prefetch(further);
      prefetched = true;
      await identified;
      reuse = client.capabilities.state('sibling_elevation_select') !== 'refused';
      if (reuse && this.job.mode === 'force') this.reuse ??= this.reusingPhases();
      this.reuse?.projectFound();
      await s.selectProject(p.id);
      const project = { ...p, ...(await s.getSelectedProject().catch(() => p)), id: p.id };
      const phases = await s.listPhases();
      this.rows ??= { phases, done: quiet(this.storeProject(project, phases)) };
      if (this.reuse) this.reuse.phasesFound(phases);
      else if (!reuse) this.strict.listEarly(phases);
      const onElevations = (n: number, thumbnails: ThumbnailJobs): void => this.reuse?.firstPhaseListed(phases[0], n, thumbnails);
      const listing = phases.length ? await this.listPhase(s, phases[0], true, onElevations) : undefined;
      return { project, phases, listing };
    };
    const free = await takeSeat(this.limiter);
    let first: { value: FirstListing; held: HeldSession };
    try {
      first = await client.hold({ directory: dir }, unit, this.sessions);
    } catch (err) {
      free();
      throw missingDirectory(err, dir);
    }
    if (reuse) return { ...first.value, session: { held: first.held, free } };
    // Strict LogiKal: the first session is done, as every session is there.
    await first.held.release();
    free();
    return first.value;
  }

  /** The rows of the listed project and phases: those written while the first phase was listed, unless a replayed listing found other phases. */
  private async projectRows(first: FirstListing): Promise<ListedPhase[]> {
    const started = this.rows;
    const same = started?.phases.length === first.phases.length && started.phases.every((ph, i) => ph.id === first.phases[i].id);
    if (started && same) return started.done;
    await started?.done.catch(() => undefined);
    return this.storeProject(first.project, first.phases);
  }

  /** Writes the project and its phases (retiring phases gone); the run is superseded when another already syncs the project. */
  private async storeProject(project: LogikalProject, listed: LogikalPhase[]): Promise<ListedPhase[]> {
    this.logikalProject = project;
    const other = await this.deps.runs.rekey(this.job.runId, `project:${project.id.toLowerCase()}`);
    if (other !== null) throw new SupersededError(other);
    const directoryId = await this.deps.writer.directory(this.job.directory);
    this.project = await this.deps.writer.project(project, directoryId);
    await this.deps.runs.setProject(this.job.runId, this.project.id);
    if (!listed.length) await this.phaseRows.confirmNoPhases(project.name);
    const rows: Phase[] = [];
    for (const ph of listed) rows.push(await this.deps.writer.phase(this.project.id, ph));
    await this.deps.writer.retirePhases(
      this.project.id,
      rows.map((r) => r.id),
    );
    this.counters.phasesSynced = rows.length;
    await this.flush();
    return listed.map((ph, i) => ({ ph, row: rows[i] }));
  }

  /** LogiKal lets (or may let) sessions select sibling elevations: see ReusingPhases. */
  private async reusing(first: FirstSession, phases: ListedPhase[], firstListing: PhaseListing | undefined): Promise<void> {
    this.reuse ??= this.reusingPhases();
    await this.reuse.run(first, phases, firstListing);
  }

  private reusingPhases(): ReusingPhases {
    const reuse = new ReusingPhases({
      ...this.deps,
      units: this.units,
      limiter: this.limiter,
      sessions: this.sessions,
      mode: this.job.mode,
      concurrency: this.job.concurrency,
      expected: () => ({ elevations: this.plan.size, phases: this.plan.phaseCount }),
      stopped: () => this.stopped,
      projectPath: () => ({ directory: this.job.directory, projectId: this.projectLogikalId }),
      phasePath: this.phasePath,
      listPhase: (s, ph, onElevations) => this.listPhase(s, ph, false, onElevations),
      planned: (phaseId) => this.plan.phaseSize(phaseId) || undefined,
      storePhase: (row, listing) => this.phaseRows.store(row, listing),
      failPhase: (ph, err) => this.failPhase(ph, err),
    });
    if (this.stopped) reuse.stop();
    return reuse;
  }

  private phasePath = (ph: LogikalPhase): LogikalPath => ({
    directory: this.job.directory,
    projectId: this.projectLogikalId,
    phaseId: ph.id,
  });

  /** A phase that could not be listed: its elevations keep what the mirror had. */
  private failPhase(ph: LogikalPhase, err: unknown): void {
    if (!this.stopped && !isShutdown(err)) this.fail(`phase "${ph.name}"`, err);
  }

  /** In phase state: the elevation list (its size told to `onElevations` at once) and the thumbnails this run needs (see phase-listing.ts). */
  private listPhase(
    s: LogikalSession,
    ph: LogikalPhase,
    selectFirst: boolean,
    onElevations?: (n: number, thumbnails: ThumbnailJobs) => void,
  ): Promise<PhaseListing> {
    const wantsThumbnail = (e: LogikalElevation): boolean => this.plan.wantsThumbnail(ph.id, e);
    return listPhase(s, ph, { selectFirst, wantsThumbnail, stopped: () => this.stopped, onElevations });
  }

  private fail(what: string, err: unknown): SyncFailure {
    const reason = err instanceof PartsListError ? `parts list rejected (${err.reason}): ${err.message}` : describeFailure(err);
    const failure = { elevation: what, reason };
    this.failures.push(failure);
    this.deps.log.warn(`sync failure: ${what}`, { runId: this.job.runId, reason });
    return failure;
  }

  /**
   * The counters to whoever listens, and to the run's row. Writes do not queue up: while one is
   * under way, the calls meanwhile make one more, with the counters as they are then.
   */
  private flush(): Promise<void> {
    this.job.onProgress?.({
      done: this.counters.partsListsSynced + this.counters.partsListsUnchanged + this.counters.partsListsFailed,
      total: this.counters.elevationsTotal,
      state: 'running',
    });
    this.flushAgain = this.flushing !== undefined;
    this.flushing ??= this.writeProgress();
    return this.flushing;
  }

  private async writeProgress(): Promise<void> {
    try {
      do {
        this.flushAgain = false;
        await this.deps.runs
          .progress(this.job.runId, this.counters)
          .catch((err: unknown) => this.deps.log.warn('progress write failed', { error: err }));
      } while (this.flushAgain);
    } finally {
      // In the same turn as the last check: a flush from now on starts a write of its own.
      this.flushing = undefined;
    }
  }
}

/** The same promise, its rejection marked as handled: it is read later (or, when the run gave up, on purpose not at all). */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
