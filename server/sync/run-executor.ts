import type { Logger } from 'winston';
import type { SyncRun } from '../../entities';
import { NotFoundError, ServiceUnavailableError } from '../errors';
import { runScope } from './licence-waits';
import { effectiveState, LEASE_MS, SLOT_KINDS, type RunStore } from './run-store';

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'interrupted']);

/** What a shutdown may take beyond the grace for aborting (the process is gone within the grace + 5 s). */
export const ABORT_WINDOW_MS = 3_500;

/** How often an instance looks for runs queued by others, or left by a dead instance. */
export const CLAIM_POLL_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export interface Launch {
  work: () => Promise<void>;
  /** Asks the work to stop at its next unit boundary (shutdown). */
  stop?: () => void;
}

/** How a claimed run row becomes work (the sync service knows every kind); null: it cannot run here. */
export type WorkFactory = (run: SyncRun) => Launch | null;

/**
 * Where runs execute: runs are queued in the database and claimed by whichever instance has a
 * free slot (at most MAX_ACTIVE_RUNS at once; a nightly run takes none, its children do), oldest
 * first; runs of a dead instance are taken over. The leases of every run this process owns are
 * renewed in one statement; on shutdown every run stops at a unit boundary within the grace.
 */
export class RunExecutor {
  private readonly active = new Map<number, Promise<void>>();
  private readonly stoppers = new Map<number, () => void>();
  private readonly notFound = new Map<number, NotFoundError>();
  private slotted = 0;
  private filling: Promise<void> | null = null;
  private again = false;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;

  constructor(
    private readonly runs: RunStore,
    private readonly maxActiveRuns: number,
    private readonly log: Logger,
    private readonly factory: WorkFactory,
    /** Told about each run this process executed once it ended (the sync metrics). */
    private readonly onFinished: (run: SyncRun) => void = () => {},
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  /** The shutdown begins: nothing new is accepted or claimed from now on. */
  stopAccepting(): void {
    this.stopping = true;
  }

  /** Refuses new work once the shutdown began. */
  assertAccepting(): void {
    if (this.stopping) throw new ServiceUnavailableError('The bridge is shutting down; try again in a moment');
  }

  /**
   * Renews this process's leases every third of a lease; with `claim`, also looks for claimable
   * runs every CLAIM_POLL_MS (an instance without LogiKal configured claims nothing).
   */
  start(claim: boolean): void {
    if (this.timers.length) return;
    const renew = setInterval(() => {
      void this.runs.renewLeases().catch((err: unknown) => this.log.warn('lease renewal failed', { error: err }));
    }, LEASE_MS / 3);
    this.timers.push(renew);
    if (claim) this.timers.push(setInterval(() => void this.fill(), CLAIM_POLL_MS));
    for (const t of this.timers) t.unref();
  }

  /** Claims runs while this process has free slots; resolves once no more can be claimed now. */
  fill(): Promise<void> {
    this.again = true;
    if (!this.filling) {
      // .finally runs on a later tick, after `filling` is set, even when the loop has nothing to do.
      const filling: Promise<void> = this.claimWhileAsked().finally(() => {
        if (this.filling === filling) this.filling = null;
      });
      this.filling = filling;
    }
    return this.filling;
  }

  private async claimWhileAsked(): Promise<void> {
    try {
      while (this.again && !this.stopping) {
        this.again = false;
        await this.claimAll();
      }
    } catch (err) {
      this.log.warn('claiming sync runs failed', { error: err });
    }
  }

  private async claimAll(): Promise<void> {
    while (!this.stopping) {
      const nightly = await this.runs.claimNext(['nightly']);
      if (!nightly) break;
      this.execute(nightly, false);
    }
    while (this.slotted < this.maxActiveRuns && !this.stopping) {
      const run = await this.runs.claimNext(SLOT_KINDS);
      if (!run) break;
      this.execute(run, true);
    }
  }

  private execute(run: SyncRun, slot: boolean): void {
    if (run.takeovers > 0) this.log.warn(`took over sync run ${run.id} (${run.target}) from a stopped instance`);
    const launch = this.factory(run);
    if (!launch) {
      void this.runs.finish(run.id, 'failed', `This bridge cannot run a "${run.kind}" run`, []);
      return;
    }
    if (slot) this.slotted++;
    if (launch.stop) this.stoppers.set(run.id, launch.stop);
    // Claimed while the shutdown began: told to stop at once, like every run already running.
    if (this.stopping) launch.stop?.();
    const done = runScope
      .run(run.id, () => launch.work())
      .catch((err: unknown) => {
        // Recorded on the run already; kept so a waiting caller gets a not-found error, not a result.
        if (err instanceof NotFoundError) this.notFound.set(run.id, err);
        else this.log.warn('sync run ended with an error', { runId: run.id, error: err });
      })
      .then(() => this.reportFinished(run.id))
      .finally(() => {
        this.active.delete(run.id);
        this.stoppers.delete(run.id);
        if (slot) {
          this.slotted--;
          void this.fill();
        }
      });
    this.active.set(run.id, done);
  }

  private async reportFinished(runId: number): Promise<void> {
    const run = await this.runs.get(runId).catch(() => null);
    if (run?.finishedAt && TERMINAL.has(run.state)) this.onFinished(run);
  }

  /** The run once terminal (or dead), or after waitSeconds, whichever is first; wherever it runs. */
  async awaitRun(runId: number, waitSeconds: number): Promise<SyncRun> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const local = this.active.get(runId);
      if (local) {
        await Promise.race([local, sleep(Math.max(0, deadline - Date.now()))]);
        if (Date.now() >= deadline) break;
      }
      // Queued, or running in another instance (or already done): poll the shared row.
      const run = await this.runs.get(runId);
      if (!run || TERMINAL.has(effectiveState(run, Date.now(), this.runs.owner.instance)) || Date.now() >= deadline) break;
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())));
    }
    const run = await this.runs.get(runId);
    if (!run) throw new NotFoundError(`Sync run ${runId} does not exist`);
    const missing = this.notFound.get(runId);
    this.notFound.delete(runId);
    if (run.state === 'failed' && missing) throw missing;
    return run;
  }

  /** Lets every run of this process end (tests). */
  async drain(): Promise<void> {
    while (this.active.size || this.filling) await Promise.allSettled([...this.active.values(), this.filling]);
  }

  /**
   * Stops every run: none is claimed any more, running ones stop at their next unit boundary;
   * what is still running after the grace is aborted (`abort`: the LogiKal client's shutdown,
   * which logs every session out). Whatever this process still owns is marked interrupted.
   */
  async shutdown(graceMs: number, abort: (windowMs: number) => Promise<void>): Promise<void> {
    this.stopping = true;
    for (const stop of this.stoppers.values()) stop();
    const settled = (): Promise<unknown> => Promise.allSettled([...this.active.values()]);
    await Promise.race([settled(), sleep(graceMs)]);
    // One short window after the grace for the aborted units to end and their sessions to be logged out.
    await Promise.race([Promise.all([abort(ABORT_WINDOW_MS), settled()]), sleep(ABORT_WINDOW_MS)]);
    this.close();
    await this.runs.interruptMine().catch((err: unknown) => this.log.warn('could not mark runs interrupted', { error: err }));
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }
}
