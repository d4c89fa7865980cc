import type { Logger } from 'winston';
import type { SyncRun } from '../../entities';
import { NotFoundError, ServiceUnavailableError } from '../errors';
import { Semaphore } from '../semaphore';
import { isDead, LEASE_MS, type RunStore } from './run-store';

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'interrupted']);

/** What a shutdown may take beyond the grace for aborting (the process is gone within the grace + 5 s). */
export const ABORT_WINDOW_MS = 3_500;

export const SHUTDOWN_MESSAGE = 'Interrupted: the bridge shut down before the run started; the next sync of it runs it';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export interface Launch {
  /** Takes one of the MAX_ACTIVE_RUNS slots (the nightly run does not: its children do). */
  slot: boolean;
  work: () => Promise<void>;
  /** Asks the work to stop at its next unit boundary (shutdown). */
  stop?: () => void;
}

/**
 * Where runs execute in this process: at most MAX_ACTIVE_RUNS at once, the rest `queued` first
 * come first served; the leases of every run it owns renewed in one statement; dead runs of
 * others reaped; and on shutdown every run stopped at a unit boundary within the grace.
 */
export class RunExecutor {
  private readonly active = new Map<number, Promise<void>>();
  private readonly stoppers = new Map<number, () => void>();
  private readonly notFound = new Map<number, NotFoundError>();
  /** Settles once a launched run is running (or known to wait its turn), so an answer says which. */
  private readonly starting = new Map<number, Promise<void>>();
  private readonly slots: Semaphore;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly runs: RunStore,
    maxActiveRuns: number,
    private readonly log: Logger,
    /** Told about each run this process executed once it ended (the sync metrics). */
    private readonly onFinished: (run: SyncRun) => void = () => {},
  ) {
    this.slots = new Semaphore(maxActiveRuns);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Refuses new work once the shutdown began. */
  assertAccepting(): void {
    if (this.stopping) throw new ServiceUnavailableError('The bridge is shutting down; try again in a moment');
  }

  /** Renews this process's leases and reaps dead runs every third of a lease. */
  startLeases(): void {
    this.timer ??= setInterval(() => {
      void this.runs
        .renewLeases()
        .then(() => this.runs.reapDead())
        .catch((err: unknown) => this.log.warn('lease renewal failed', { error: err }));
    }, LEASE_MS / 3);
    this.timer.unref();
  }

  launch(runId: number, l: Launch): void {
    let started!: () => void;
    const starting = new Promise<void>((resolve) => (started = resolve));
    const task = async (): Promise<void> => {
      try {
        if (this.stopping) return await this.runs.interrupt(runId, SHUTDOWN_MESSAGE);
        if (!(await this.runs.start(runId))) return;
      } finally {
        started();
      }
      await l.work();
    };
    if (!l.slot || this.slots.free) this.starting.set(runId, starting);
    else started();
    if (l.stop) this.stoppers.set(runId, l.stop);
    const done = (l.slot ? this.slots.run(task) : task())
      .catch((err: unknown) => {
        // Recorded on the run already; kept so a waiting caller gets a not-found error, not a result.
        if (err instanceof NotFoundError) this.notFound.set(runId, err);
        else this.log.warn('sync run ended with an error', { runId, error: err });
      })
      .then(() => this.reportFinished(runId))
      .finally(() => {
        this.active.delete(runId);
        this.stoppers.delete(runId);
        this.starting.delete(runId);
      });
    this.active.set(runId, done);
  }

  private async reportFinished(runId: number): Promise<void> {
    const run = await this.runs.get(runId).catch(() => null);
    if (run?.finishedAt && TERMINAL.has(run.state)) this.onFinished(run);
  }

  /** The run once terminal (or dead), or after waitSeconds, whichever is first. */
  async awaitRun(runId: number, waitSeconds: number): Promise<SyncRun> {
    const deadline = Date.now() + waitSeconds * 1000;
    await this.starting.get(runId);
    const local = this.active.get(runId);
    if (local && waitSeconds > 0) {
      await Promise.race([local, sleep(waitSeconds * 1000)]);
    } else if (waitSeconds > 0) {
      // Running in another instance (or already done): poll the shared row.
      for (;;) {
        const run = await this.runs.get(runId);
        if (!run || TERMINAL.has(run.state) || isDead(run) || Date.now() >= deadline) break;
        await sleep(500);
      }
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
    while (this.active.size) await Promise.allSettled([...this.active.values()]);
  }

  /**
   * Stops every run: none starts any more, running ones stop at their next unit boundary; what is
   * still running after the grace is aborted (`abort`: the LogiKal client's shutdown, which logs
   * every session out). Whatever is left is marked interrupted.
   */
  async shutdown(graceMs: number, abort: (windowMs: number) => Promise<void>): Promise<void> {
    this.stopping = true;
    for (const stop of this.stoppers.values()) stop();
    const settled = (): Promise<unknown> => Promise.allSettled([...this.active.values()]);
    await Promise.race([settled(), sleep(graceMs)]);
    // One short window after the grace for the aborted units to end and their sessions to be logged out.
    await Promise.race([Promise.all([abort(ABORT_WINDOW_MS), settled()]), sleep(ABORT_WINDOW_MS)]);
    clearInterval(this.timer);
    this.timer = undefined;
    await this.runs.interruptMine().catch((err: unknown) => this.log.warn('could not mark runs interrupted', { error: err }));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
