import type { Logger } from 'winston';
import type { Phase, Project, SyncFailure } from '../../entities';
import { LogikalProtocolError, type HeldSession, type LogikalClient, type LogikalPath, type LogikalPhase } from '../logikal';
import type { LogikalProject, LogikalSession, SessionLease } from '../logikal';
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
import { PartsListUnits, type PartsUnit } from './parts-list-units';
import { againWhileTransient, listPhase, pickProject, type PhaseListing } from './phase-listing';
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
  private readonly limiter: Semaphore;
  private readonly stash: LeaseStash;
  private plan = new ElevationPlan([], 'force', null);
  private project!: Project;
  private logikalProject!: LogikalProject;
  /** The project's LogiKal id, known from the first session's listing on. */
  private projectLogikalId = '';
  private stopped = false;
  private resumedSkipped = 0;

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
    // How many further logins depends on how LogiKal behaves, as last known (a new process: strict).
    const further = furtherLogins(this.job.mode, this.job.concurrency, this.plan, client.capabilities);
    // A project the mirror does not know may not exist: its further logins wait until LogiKal has listed it.
    this.stash.prefetch(this.plan.size ? 1 + further : 1);
    // A force sync against a LogiKal that allows sibling selects (as last known) starts its other
    // sessions while the first one lists: see ReusingPhases.projectFound / phasesFound.
    if (this.job.mode === 'force' && client.capabilities.state('sibling_elevation_select') !== 'refused') this.reuse = this.reusingPhases();
    let first: FirstListing;
    try {
      first = await this.firstListing(further);
    } catch (err) {
      await this.reuse?.abandon();
      throw err;
    }
    if (!first.session) await this.reuse?.abandon();
    try {
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

      const listed: ListedPhase[] = first.phases.map((ph, i) => ({ ph, row: phases[i] }));
      const session = first.session;
      first.session = undefined;
      await (session ? this.reusing(session, listed, first.listing) : this.phasesStrict(listed, first.listing));
    } finally {
      await first.session?.held.release();
      first.session?.free();
      await this.reuse?.abandon();
    }
    await this.units.finalPass(this.limiter);
    if (!this.stopped) await this.deps.writer.markProjectSynced(this.project.id);
  }

  /**
   * One session lists the project, its phases and the first phase's elevations, and is kept when
   * sessions are reused. Which LogiKal this is (GET /version, no seat) is asked meanwhile, once a
   * login showed that it answers: it decides how the rest of the run uses sessions.
   */
  private async firstListing(further: number): Promise<FirstListing> {
    const { client } = this.deps;
    const dir = this.job.directory;
    let prefetched = false;
    let identified: Promise<void> | undefined;
    const unit = async (s: LogikalSession): Promise<FirstListing> => {
      identified ??= client.capabilities.refresh();
      const p = pickProject(await s.listProjects(), this.job.projectRef, dir);
      this.projectLogikalId = p.id;
      // The project exists: the further logins start now, while the rest is listed.
      if (!this.plan.size && !prefetched) this.stash.prefetch(further);
      prefetched = true;
      this.reuse?.projectFound();
      await s.selectProject(p.id);
      const details = await s.getSelectedProject().catch(() => p);
      const phases = await s.listPhases();
      this.reuse?.phasesFound(phases);
      const listing = phases.length ? await this.listPhase(s, phases[0], true) : undefined;
      await identified;
      return { project: { ...p, ...details, id: p.id }, phases, listing };
    };
    const free = await takeSeat(this.limiter);
    let first: { value: FirstListing; held: HeldSession };
    try {
      first = await client.hold({ directory: dir }, unit, this.sessions);
    } catch (err) {
      free();
      throw missingDirectory(err, dir);
    }
    if (client.capabilities.state('sibling_elevation_select') !== 'refused') return { ...first.value, session: { held: first.held, free } };
    // Strict LogiKal: the first session is done, as every session is there.
    await first.held.release();
    free();
    return first.value;
  }

  /** Strict LogiKal: every further phase listed on a session of its own, every parts list on a session of its own. */
  private async phasesStrict(phases: ListedPhase[], firstListing: PhaseListing | undefined): Promise<void> {
    const work: Array<Promise<void>> = [];
    const perPhase = phases.map(async ({ ph, row }, i) => {
      const listing =
        i === 0 && firstListing
          ? firstListing
          : await againWhileTransient(
              () =>
                this.limiter.run(async () =>
                  this.stopped
                    ? undefined
                    : this.deps.client.withPath(this.phasePath(ph), (s) => this.listPhase(s, ph, false), this.sessions),
                ),
              () => this.stopped,
            ).catch((err: unknown) => {
              this.failPhase(ph, err);
              return undefined;
            });
      if (listing) work.push(...(await this.storePhase(row, listing)).map((u) => this.limiter.run(() => this.units.fresh(u))));
    });
    // Settle everything before judging: a run must not be finished while its tasks still write.
    const listed = await Promise.allSettled(perPhase);
    const stored = await Promise.allSettled(work);
    const broken = [...listed, ...stored].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (broken) throw broken.reason;
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
      listPhase: (s, ph) => this.listPhase(s, ph, false),
      storePhase: (row, listing) => this.storePhase(row, listing),
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

  /** No phase listed (every project has its default phase): a fresh listing must agree before any is retired. */
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

  /** In phase state: the elevation list and the thumbnails this run needs (see phase-listing.ts). */
  private listPhase(s: LogikalSession, ph: LogikalPhase, selectFirst: boolean): Promise<PhaseListing> {
    return listPhase(s, ph, { selectFirst, wantsThumbnail: (e) => this.plan.wantsThumbnail(ph.id, e), stopped: () => this.stopped });
  }

  /** Writes a listed phase's elevations (and retires those gone); returns the parts-list units the run must fetch. */
  private async storePhase(phase: Phase, listing: PhaseListing): Promise<PartsUnit[]> {
    const units: PartsUnit[] = [];
    const keep: number[] = [];
    const complete = listing.elevations.length > 0 || (await this.confirmNoElevations(phase).catch(() => false));
    if (!complete) return units;
    this.counters.elevationsTotal += listing.elevations.length;
    const listed = listing.elevations.map((e) => {
      const thumbError = listing.thumbnailErrors.get(e.id);
      if (thumbError !== undefined) this.fail(`${e.name} (thumbnail)`, thumbError);
      return { e, thumbnail: listing.thumbnails.get(e.id) ?? null, thumbnailFailed: thumbError !== undefined };
    });
    const rows = await this.deps.writer.elevations(phase, listed);
    for (const [i, { e, thumbnail }] of listed.entries()) {
      const row = rows[i];
      keep.push(row.id);
      this.counters.elevationsSynced++;
      if (thumbnail) this.counters.thumbnailsSynced++;
      const wantParts = this.plan.wantsPartsList(listing.phase.id, e);
      if (wantParts && this.plan.doneByResumedRun(listing.phase.id, e)) {
        this.resumedSkipped++;
        this.counters[this.job.takenOver ? 'partsListsSynced' : 'partsListsUnchanged']++;
      } else if (wantParts) units.push({ phase, row, e });
      // Counted so that synced + unchanged + failed = elevations listed, in both modes.
      else this.counters.partsListsUnchanged++;
    }
    // The listing was complete: whatever the phase no longer has is marked gone, not dropped.
    await this.deps.writer.retireElevations(phase.id, keep);
    await this.flush();
    return units;
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
