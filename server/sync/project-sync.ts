import type { Logger } from 'winston';
import type { Elevation, Phase, Project, SyncFailure } from '../../entities';
import type { LogikalClient, LogikalElevation, LogikalPhase, LogikalProject, LogikalSession, UnitOptions } from '../logikal';
import { LogikalSessionLostError } from '../logikal';
import { isGuid as looksLikeGuid } from '../guid';
import { PartsListError, type PartsListParser } from '../parts/parts-list-parser';
import { NotFoundError, UserError } from '../errors';
import { LeaseStash } from './lease-stash';
import { MirrorWriter, sha256, type KnownElevation } from './mirror-writer';
import { emptyCounters, type Counters, type RunStore } from './run-store';
import { Semaphore } from '../semaphore';
import type { ProgressListener, SyncMode } from './types';
import { describeFailure, missingDirectory } from './failure-reason';

export interface ProjectSyncDeps {
  client: LogikalClient;
  writer: MirrorWriter;
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
}

interface PhaseListing {
  phase: LogikalPhase;
  elevations: LogikalElevation[];
  thumbnails: Map<string, Buffer>;
  thumbnailErrors: Map<string, unknown>;
}

const HEARTBEAT_MS = 15_000;

class SupersededError extends Error {
  constructor(readonly runId: number) {
    super(`superseded by run ${runId}`);
  }
}

export function supersededMessage(runId: number): string {
  return `Superseded by run ${runId}, which syncs the same project`;
}

function changeKey(e: LogikalElevation): string {
  return `${e.versionId ?? ''}|${e.changedDate ?? ''}`.slice(0, 64);
}

/**
 * One project sync: the project's metadata, every phase (the null-GUID default phase too), every
 * elevation with its thumbnail, then each elevation's parts list in its own session, in parallel up
 * to the run's concurrency. Force mode downloads everything; smart mode only what changed.
 */
export class ProjectSync {
  private readonly counters: Counters = emptyCounters();
  private readonly failures: SyncFailure[] = [];
  private readonly limiter: Semaphore;
  private readonly stash: LeaseStash;
  private known = new Map<string, KnownElevation>();
  private project!: Project;
  private logikalProject!: LogikalProject;

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

  /** Runs to the end and records the outcome on the run row; throws only NotFound (after recording). */
  async execute(): Promise<void> {
    const heartbeat = setInterval(() => void this.flush(), HEARTBEAT_MS);
    heartbeat.unref();
    try {
      await this.sync();
      const state = this.failures.length ? 'partial' : 'succeeded';
      await this.deps.runs.finish(this.job.runId, state, this.summary(state), this.failures, this.counters);
    } catch (err) {
      if (err instanceof SupersededError) {
        // The same project, asked for by name and by GUID at once: the other run does the work.
        await this.deps.runs
          .finish(this.job.runId, 'failed', supersededMessage(err.runId), [], this.counters, err.runId)
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

  private summary(state: string): string {
    const name = this.logikalProject?.name ?? this.job.projectRef;
    const c = this.counters;
    if (state === 'succeeded') {
      return this.job.mode === 'force'
        ? `Project "${name}" fully synced from Logikal`
        : `Project "${name}" synced from Logikal (${c.partsListsSynced} changed parts list(s) downloaded)`;
    }
    const what = this.failures
      .slice(0, 5)
      .map((f) => f.elevation)
      .join(', ');
    return (
      `Project "${name}" synced with ${this.failures.length} failure(s) (${what}${this.failures.length > 5 ? ', …' : ''}); ` +
      `${c.partsListsFailed} of ${c.partsListsSynced + c.partsListsUnchanged + c.partsListsFailed} parts lists failed`
    );
  }

  private async sync(): Promise<void> {
    const { client } = this.deps;
    const dir = this.job.directory;
    const known = await this.deps.writer.knownElevations(this.job.projectRef, dir);
    this.known = new Map(known.map((k) => [`${k.phaseLogikalId}/${k.logikalId}`, k]));
    // One login for the first session, plus, for force, one per further parallel task (every
    // elevation needs a session) or, for smart, one per further phase we know of.
    const phasesKnown = new Set(known.map((k) => k.phaseLogikalId)).size;
    const further = this.job.mode === 'force' ? this.job.concurrency - 1 : Math.min(this.job.concurrency - 1, phasesKnown - 1);
    this.stash.prefetch(1 + Math.max(0, further));

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

    this.logikalProject = first.project;
    const other = await this.deps.runs.rekey(this.job.runId, `project:${first.project.id.toLowerCase()}`);
    if (other !== null) throw new SupersededError(other);
    const directoryId = await this.deps.writer.directory(dir);
    this.project = await this.deps.writer.project(first.project, directoryId);
    await this.deps.runs.setProject(this.job.runId, this.project.id);

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
              .run(() =>
                client.withPath(
                  { directory: dir, projectId: this.project.logikalId, phaseId: ph.id },
                  (s) => this.listPhase(s, ph, false),
                  this.sessions,
                ),
              )
              .catch((err) => {
                this.fail(`phase "${ph.name}"`, err);
                return undefined;
              });
      if (listing) work.push(...(await this.storePhase(phases[i], listing)));
    });
    // Settle everything before judging: a run must not be finished while its tasks still write.
    const listed = await Promise.allSettled(perPhase);
    const stored = await Promise.allSettled(work);
    const broken = [...listed, ...stored].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (broken) throw broken.reason;
    await this.deps.writer.markProjectSynced(this.project.id);
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

  /** In phase state: the elevation list and the thumbnails this run needs (no elevation select needed). */
  private async listPhase(s: LogikalSession, ph: LogikalPhase, selectFirst: boolean): Promise<PhaseListing> {
    if (selectFirst) await s.selectPhase(ph.id);
    const elevations = await s.listElevations();
    const thumbnails = new Map<string, Buffer>();
    const thumbnailErrors = new Map<string, unknown>();
    for (const e of elevations) {
      if (this.job.mode === 'smart' && !this.metadataChanged(ph.id, e)) continue;
      try {
        thumbnails.set(e.id, await s.getThumbnail(e.id));
      } catch (err) {
        // A lost session would fail every further thumbnail: replay the unit instead.
        if (err instanceof LogikalSessionLostError) throw err;
        thumbnailErrors.set(e.id, err);
      }
    }
    return { phase: ph, elevations, thumbnails, thumbnailErrors };
  }

  private async storePhase(phase: Phase, listing: PhaseListing): Promise<Array<Promise<void>>> {
    const tasks: Array<Promise<void>> = [];
    const keep: number[] = [];
    this.counters.elevationsTotal += listing.elevations.length;
    for (const e of listing.elevations) {
      const wantParts = this.job.mode === 'force' || this.partsChanged(listing.phase.id, e);
      const thumb = listing.thumbnails.get(e.id) ?? null;
      const thumbError = listing.thumbnailErrors.get(e.id);
      if (thumbError !== undefined) this.fail(`${e.name} (thumbnail)`, thumbError);
      const row = await this.deps.writer.elevation(phase, e, thumb, thumbError !== undefined);
      keep.push(row.id);
      this.counters.elevationsSynced++;
      if (thumb) this.counters.thumbnailsSynced++;
      if (wantParts) tasks.push(this.limiter.run(() => this.syncPartsList(phase, row, e)));
      // Counted so that synced + unchanged + failed = elevations listed, in both modes.
      else this.counters.partsListsUnchanged++;
    }
    // The listing was complete: whatever the phase no longer has is marked gone, not dropped.
    await this.deps.writer.retireElevations(phase.id, keep);
    await this.flush();
    return tasks;
  }

  private async syncPartsList(phase: Phase, row: Elevation, e: LogikalElevation): Promise<void> {
    const { client, writer, parser, parseLimit } = this.deps;
    try {
      const bytes = await client.withPath(
        { directory: this.job.directory, projectId: this.project.logikalId, phaseId: phase.logikalId, elevationId: e.id },
        (s) => s.getPartsList(),
        this.sessions,
      );
      const hash = sha256(bytes);
      const before = this.known.get(`${phase.logikalId}/${e.id.toLowerCase()}`);
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
    } catch (err) {
      this.counters.partsListsFailed++;
      this.fail(e.name, err);
    }
    await this.flush();
  }

  private fail(what: string, err: unknown): void {
    const reason = err instanceof PartsListError ? `parts list rejected (${err.reason}): ${err.message}` : describeFailure(err);
    this.failures.push({ elevation: what, reason });
    this.deps.log.warn(`sync failure: ${what}`, { runId: this.job.runId, reason });
  }

  private metadataChanged(phaseId: string, e: LogikalElevation): boolean {
    const k = this.known.get(`${phaseId.toLowerCase()}/${e.id.toLowerCase()}`);
    return !k?.thumbnailSha256 || k.versionId !== (e.versionId?.toLowerCase() ?? null) || k.changedAt !== (e.changedDate ?? null);
  }

  private partsChanged(phaseId: string, e: LogikalElevation): boolean {
    const k = this.known.get(`${phaseId.toLowerCase()}/${e.id.toLowerCase()}`);
    return !k?.partsListSha256 || k.parseStatus !== 'success' || k.partsListSourceKey !== changeKey(e);
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
