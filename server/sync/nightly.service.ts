import type { Logger } from 'winston';
import type { SyncFailure, SyncRun } from '../../entities';
import type { BridgeConfig } from '../config';
import type { Db } from '../db/db';
import type { MirrorLookups } from '../db/mirror-lookups';
import { ServiceUnavailableError } from '../errors';
import { describeFailure } from './failure-reason';
import { NightlyChildren, type ChildQueue } from './nightly-children';
import { NightlyFirings } from './nightly-firings';
import type { FiringOutcome, FiringSource, NightlyResult } from './nightly-types';
import type { Launch } from './run-executor';
import { effectiveState, type RunStore } from './run-store';
import { toResult } from './run-result';
import type { SyncResult } from './types';

export interface NightlyDeps {
  db: Db;
  runs: RunStore;
  lookups: MirrorLookups;
  config: BridgeConfig;
  /** Lets this instance claim what was just queued (the rest is claimed by whichever instance has room). */
  fill: () => Promise<void>;
  awaitRun: (runId: number, waitSeconds: number) => Promise<SyncRun>;
  /** sync.projects of one tracked directory, waited for. */
  refreshProjects: (directory: string) => Promise<SyncResult>;
  /** True once this instance's shutdown began: no firing is claimed any more. */
  stopping: () => boolean;
  log: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/** Fire times are whole seconds: every instance computes the same one for a firing. */
const toSecond = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);

/**
 * The nightly: one run per firing of SYNC_CRON across every instance (claimed in nightly_firings by
 * its fire time; skipped while the previous nightly still runs). The run refreshes the project
 * lists of TRACKED_DIRECTORIES, then queues one child smart sync per active project for any
 * instance to claim, retries failed ones with backoff and ends with their summary.
 */
export class NightlyService {
  private readonly firings: NightlyFirings;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly d: NightlyDeps) {
    this.firings = new NightlyFirings(d.db, d.runs.owner.instance);
  }

  /** One firing of the schedule: exactly one instance creates its nightly run; skipped while the previous one runs. */
  fire(fireAt: Date, source: FiringSource, requestedBy: string = source): Promise<FiringOutcome> {
    if (this.d.stopping())
      return Promise.reject(new ServiceUnavailableError('The bridge is shutting down; the firing is left to the others'));
    const firing = this.claimFiring(fireAt, source, requestedBy);
    this.inFlight.add(firing);
    void firing.catch(() => undefined).finally(() => this.inFlight.delete(firing));
    return firing;
  }

  /** Lets firings in flight finish recording what they did (the shutdown waits for this). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async claimFiring(fireAt: Date, source: FiringSource, requestedBy: string): Promise<FiringOutcome> {
    const at = toSecond(fireAt);
    const fire_at = at.toISOString();
    if (!(await this.firings.claim(at, source))) {
      return { fire_at, outcome: 'taken', run_id: (await this.firings.get(at))?.runId ?? null };
    }
    const running = await this.d.runs.activeNightly();
    if (running) {
      await this.firings.record(at, 'skipped', running.id);
      this.d.log.warn(`nightly firing ${fire_at} skipped: nightly run ${running.id} is still running`);
      return { fire_at, outcome: 'skipped', run_id: running.id };
    }
    const { run } = await this.d.runs.begin('nightly', { day: fire_at }, `nightly:${fire_at}`, requestedBy, { fireAt: at });
    await this.firings.record(at, 'started', run.id);
    this.d.log.info(`nightly run ${run.id} started for the ${source} firing at ${fire_at}`);
    // The shutdown began meanwhile: the run is this instance's to resume at its next start.
    if (this.d.stopping()) await this.d.runs.interrupt(run.id, 'Interrupted: the bridge shut down as the nightly started');
    else await this.d.fill();
    return { fire_at, outcome: 'started', run_id: run.id };
  }

  /** sync.run_nightly: a nightly now (or the one running), waited for up to waitSeconds. */
  async runNow(waitSeconds: number, requestedBy: string): Promise<NightlyResult> {
    let runId = (await this.d.runs.activeNightly())?.id ?? null;
    if (runId === null) {
      const fired = await this.fire(new Date(), 'manual', requestedBy);
      runId = fired.run_id ?? (await this.runOfFiring(new Date(fired.fire_at)));
    }
    const run = await this.d.awaitRun(runId, waitSeconds);
    return this.result(run);
  }

  /** The latest firing recorded by any instance (catch-up compares it with the schedule). */
  lastFiring(): Promise<Date | null> {
    return this.firings.latest();
  }

  /** The latest nightly run, for sync.schedule. */
  async lastNightly(): Promise<NightlyResult | null> {
    const run = await this.d.runs.latestNightly();
    return run ? this.result(run) : null;
  }

  /** A nightly this instance was interrupted in (a shutdown) starts again at its next start: done projects are cheap smart syncs. */
  async resume(r: SyncRun): Promise<unknown> {
    if (await this.d.runs.activeNightly()) return undefined;
    const { created } = await this.d.runs.begin('nightly', { day: r.fireAt?.toISOString() }, r.targetKey, 'resume', { fireAt: r.fireAt });
    if (created) await this.d.fill();
    return undefined;
  }

  /** The claimed nightly run's work, in whichever instance claimed it (a takeover picks up its children). */
  launch(run: SyncRun, queue: ChildQueue): Launch {
    let stopped = false;
    const work = async (): Promise<void> => {
      try {
        await this.fanOut(run, queue, () => stopped);
      } catch (err) {
        if (stopped) await this.d.runs.interrupt(run.id, 'Interrupted: the bridge shut down');
        else await this.d.runs.finish(run.id, 'failed', `Nightly sync failed: ${describeFailure(err)}`, []);
      }
    };
    return { work, stop: () => (stopped = true) };
  }

  private async fanOut(run: SyncRun, queue: ChildQueue, stopped: () => boolean): Promise<void> {
    const failures: SyncFailure[] = [];
    for (const dir of this.d.config.trackedDirectories) {
      if (stopped()) return this.d.runs.interrupt(run.id, 'Interrupted: the bridge shut down while refreshing project lists');
      try {
        const r = await this.d.refreshProjects(dir);
        if (!r.success) failures.push({ elevation: `directory ${dir}`, reason: r.message });
      } catch (err) {
        failures.push({ elevation: `directory ${dir}`, reason: describeFailure(err) });
      }
    }
    if (stopped()) return this.d.runs.interrupt(run.id, 'Interrupted: the bridge shut down before the projects were queued', failures);
    const children = new NightlyChildren(this.d.runs, run.id, queue, this.d.config.nightlyRetrySeconds * 1000);
    await children.queueAll(await this.d.lookups.activeProjects());
    await this.d.fill();
    for (;;) {
      if (stopped()) {
        const n = children.summary();
        return this.d.runs.interrupt(run.id, `Interrupted: the bridge shut down after ${n.synced} of ${n.total} projects`, failures);
      }
      const pending = await children.advance();
      const n = children.summary();
      await this.d.runs.progress(run.id, n.counters);
      if (!pending) {
        const all = [...failures, ...n.failures];
        const message = `${n.synced} of ${n.total} projects synced${n.failed ? `, ${n.failed} failed` : ''}`;
        return this.d.runs.finish(run.id, all.length ? 'partial' : 'succeeded', message, all, n.counters);
      }
      await sleep(500);
    }
  }

  private async runOfFiring(at: Date): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const id = (await this.firings.get(at))?.runId;
      if (id) return id;
      await sleep(100);
    }
    throw new ServiceUnavailableError('Another instance claimed this nightly but has not started it; try again');
  }

  private async result(run: SyncRun): Promise<NightlyResult> {
    const children = await this.d.runs.children(run.id);
    const latest = new Map<string, SyncRun>();
    for (const c of children) latest.set(c.projectRef ?? String(c.id), c);
    const done = [...latest.values()];
    return {
      ...toResult(run, this.d.runs.owner.instance),
      fire_at: run.fireAt?.toISOString() ?? null,
      projects_total: latest.size,
      projects_synced: done.filter((c) => c.state === 'succeeded').length,
      projects_failed: done.filter(
        (c) => !['succeeded', 'queued', 'running'].includes(effectiveState(c, Date.now(), this.d.runs.owner.instance)),
      ).length,
      children: children.map((c) => ({
        run_id: c.id,
        project_id: c.projectRef ?? '',
        directory_id: c.directoryPath ?? '',
        state: toResult(c, this.d.runs.owner.instance).state,
        attempt: c.attempt,
      })),
    };
  }
}
