import { In, LessThan, Not, type EntityManager, type Repository } from 'typeorm';
import { ACTIVE_STATES, SyncRun, type SyncFailure, type SyncRunKind, type SyncRunState } from '../../entities';
import type { Db } from '../db/db';
import type { SyncResult } from './types';

/** A run with no heartbeat for this long is presumed dead (its process crashed or was killed). */
export const STALE_AFTER_MS = 2 * 60_000;

export function isStale(run: SyncRun): boolean {
  return !!run.heartbeatAt && Date.now() - run.heartbeatAt.getTime() > STALE_AFTER_MS;
}

export type Counters = Pick<
  SyncRun,
  | 'phasesSynced'
  | 'elevationsSynced'
  | 'elevationsTotal'
  | 'partsListsSynced'
  | 'partsListsFailed'
  | 'partsListsUnchanged'
  | 'thumbnailsSynced'
>;

export function emptyCounters(): Counters {
  return {
    phasesSynced: 0,
    elevationsSynced: 0,
    elevationsTotal: 0,
    partsListsSynced: 0,
    partsListsFailed: 0,
    partsListsUnchanged: 0,
    thumbnailsSynced: 0,
  };
}

/** The run's target for people: "Demo Odoo/DOS22309", "nightly 2026-12-01". */
export function describeTarget(kind: SyncRunKind, directory: string | null, project: string | null, day: string | null): string {
  if (kind === 'nightly') return day ? `nightly ${day}` : 'nightly';
  if (kind === 'directories') return 'directory tree';
  if (directory !== null && project !== null) return `${directory}/${project}`;
  return directory ?? project ?? '';
}

/** What a run works on, as the caller named it. */
export interface RunTarget {
  directoryPath?: string | null;
  projectRef?: string | null;
  day?: string;
}

/** SyncRun rows: the record every sync leaves, and the cross-instance guard against duplicate runs. */
export class RunStore {
  constructor(private readonly db: Db) {}

  /** Reads see committed rows only. */
  private get repo(): Repository<SyncRun> {
    return this.db.reader.getRepository(SyncRun);
  }

  private write<T>(fn: (repo: Repository<SyncRun>, m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.write((m) => fn(m.getRepository(SyncRun), m));
  }

  /**
   * Starts a run, or joins the one already queued/running for the same target. The partial unique
   * index on target_key makes this safe across instances sharing the database.
   */
  async begin(
    kind: SyncRunKind,
    target: RunTarget,
    targetKey: string,
    requestedBy: string | null,
  ): Promise<{ run: SyncRun; created: boolean }> {
    const directoryPath = target.directoryPath ?? null;
    const projectRef = target.projectRef ?? null;
    const label = describeTarget(kind, directoryPath, projectRef, target.day ?? null);
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      try {
        const run = await this.write((repo) =>
          repo.save(
            repo.create({
              kind,
              target: label,
              directoryPath,
              projectRef,
              supersededById: null,
              targetKey,
              state: 'running',
              requestedBy,
              startedAt: now,
              heartbeatAt: now,
              message: null,
              failures: [],
              finishedAt: null,
              projectId: null,
              ...emptyCounters(),
            }),
          ),
        );
        return { run, created: true };
      } catch (err) {
        const active = await this.repo.findOneBy({ targetKey, state: In(ACTIVE_STATES) });
        if (!active) throw err;
        if (isStale(active)) {
          await this.finish(active.id, 'failed', 'Abandoned: the bridge process running it stopped', active.failures ?? []);
          continue;
        }
        return { run: active, created: false };
      }
    }
    throw new Error('could not start or join a sync run');
  }

  /** Whether any run (in any state) has this key: the nightly job's once-per-day guard. */
  async existsForKey(targetKey: string): Promise<boolean> {
    return (await this.repo.countBy({ targetKey })) > 0;
  }

  /** The queued/running run with this key, if any. */
  active(targetKey: string): Promise<SyncRun | null> {
    return this.repo.findOneBy({ targetKey, state: In(ACTIVE_STATES) });
  }

  /**
   * Gives a run the key of the project it turned out to be (a first sync by name is keyed by name
   * until the GUID is known). Returns the id of another active run that already has that key.
   */
  async rekey(runId: number, targetKey: string): Promise<number | null> {
    const other = async () => (await this.repo.findOneBy({ targetKey, state: In(ACTIVE_STATES), id: Not(runId) }))?.id ?? null;
    const first = await other();
    if (first !== null) return first;
    try {
      await this.write((repo) => repo.update({ id: runId }, { targetKey }));
      return null;
    } catch (err) {
      const raced = await other();
      if (raced === null) throw err;
      return raced;
    }
  }

  /** Bumps the heartbeat while a run without counters of its own works; returns the stop function. */
  keepAlive(runId: number, everyMs = 15_000): () => void {
    const timer = setInterval(() => {
      void this.write((repo) => repo.update({ id: runId }, { heartbeatAt: new Date() })).catch(() => undefined);
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  async setProject(runId: number, projectId: number): Promise<void> {
    await this.write((repo) => repo.update({ id: runId }, { projectId }));
  }

  async progress(runId: number, counters: Counters): Promise<void> {
    await this.write((repo) => repo.update({ id: runId }, { ...counters, heartbeatAt: new Date() }));
  }

  /** A terminal state is final: a run already failed as abandoned is not revived by a late finish. */
  async finish(
    runId: number,
    state: SyncRunState,
    message: string,
    failures: SyncFailure[],
    counters?: Counters,
    supersededById: number | null = null,
  ): Promise<void> {
    const now = new Date();
    await this.write((repo) =>
      repo.update(
        { id: runId, state: In(ACTIVE_STATES) },
        {
          ...(counters ?? {}),
          state,
          message,
          failures,
          finishedAt: now,
          heartbeatAt: now,
          ...(supersededById !== null ? { supersededById } : {}),
        },
      ),
    );
  }

  get(runId: number): Promise<SyncRun | null> {
    return this.repo.findOneBy({ id: runId });
  }

  list(filter: { projectId?: number; limit: number }): Promise<SyncRun[]> {
    return this.repo.find({
      where: filter.projectId === undefined ? {} : { projectId: filter.projectId },
      order: { id: 'DESC' },
      take: filter.limit,
    });
  }

  /** On start-up: runs whose process died are failed, not left "running" forever. */
  async failAbandoned(): Promise<number> {
    const cutoff = new Date(Date.now() - STALE_AFTER_MS);
    const stale = await this.repo.findBy({ state: In(ACTIVE_STATES), heartbeatAt: LessThan(cutoff) });
    for (const r of stale) await this.finish(r.id, 'failed', 'Abandoned: the bridge process running it stopped', r.failures ?? []);
    return stale.length;
  }
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/** A run row as the RPC result shape. */
export function toResult(run: SyncRun): SyncResult {
  const end = run.finishedAt ?? new Date();
  return {
    success: run.state === 'succeeded',
    state: run.state,
    message: run.message ?? (run.state === 'running' ? 'Sync running' : ''),
    run_id: run.id,
    kind: run.kind,
    project_id: run.projectRef ?? '',
    directory_id: run.directoryPath ?? '',
    phases_synced: run.phasesSynced,
    elevations_synced: run.elevationsSynced,
    elevations_total: run.elevationsTotal,
    parts_lists_synced: run.partsListsSynced,
    parts_lists_failed: run.partsListsFailed,
    parts_lists_unchanged: run.partsListsUnchanged,
    thumbnails_synced: run.thumbnailsSynced,
    duration_seconds: Math.round((end.getTime() - run.startedAt.getTime()) / 100) / 10,
    started_at: iso(run.startedAt)!,
    finished_at: iso(run.finishedAt),
    failures: run.failures ?? [],
  };
}
