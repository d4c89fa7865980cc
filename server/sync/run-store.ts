import { randomUUID } from 'node:crypto';
import { Brackets, In, IsNull, Not, type EntityManager, type Repository } from 'typeorm';
import { ACTIVE_STATES, SyncRun, type SyncFailure, type SyncRunKind, type SyncRunState } from '../../entities';
import type { Db } from '../db/db';
import { awaitsTakeover, CLAIM_GRACE_MS, INTERRUPTED_MESSAGE, isDead, LEASE_MS } from './run-liveness';

export { awaitsTakeover, effectiveState, INTERRUPTED_MESSAGE, isDead, LEASE_MS } from './run-liveness';

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

/** What any instance claiming the run needs beyond its target. */
export interface RunExtras {
  parentRunId?: number | null;
  attempt?: number;
  concurrency?: number | null;
  fireAt?: Date | null;
}

/** Kinds that take one of an instance's MAX_ACTIVE_RUNS slots (a nightly's children do; the nightly does not). */
export const SLOT_KINDS: SyncRunKind[] = ['force_project', 'project', 'projects', 'directories'];

/** Who owns the runs this process starts: the instance, and this start of it. */
export interface RunOwner {
  instance: string;
  boot: string;
}

export function newOwner(instance: string): RunOwner {
  return { instance, boot: randomUUID() };
}

/** Where a resumed run starts from: the interrupted run, and since when its finished elevations count. */
export interface ResumePoint {
  fromId: number;
  since: Date;
}

/** SyncRun rows: the record every sync leaves, and the cross-instance guard against duplicate runs. */
export class RunStore {
  constructor(
    private readonly db: Db,
    readonly owner: RunOwner,
  ) {}

  /** Reads see committed rows only. */
  private get repo(): Repository<SyncRun> {
    return this.db.reader.getRepository(SyncRun);
  }

  private write<T>(fn: (repo: Repository<SyncRun>, m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.write((m) => fn(m.getRepository(SyncRun), m));
  }

  private lease(): { ownerInstance: string; ownerBoot: string; leaseExpiresAt: Date; heartbeatAt: Date } {
    const now = Date.now();
    return {
      ownerInstance: this.owner.instance,
      ownerBoot: this.owner.boot,
      leaseExpiresAt: new Date(now + LEASE_MS),
      heartbeatAt: new Date(now),
    };
  }

  /**
   * Queues a run, or joins the live one already queued/running for the same target. The partial
   * unique index on target_key makes this safe across instances; a dead run in the way is marked
   * interrupted first, so a new call never joins it.
   */
  async begin(
    kind: SyncRunKind,
    target: RunTarget,
    targetKey: string,
    requestedBy: string | null,
    extras: RunExtras = {},
  ): Promise<{ run: SyncRun; created: boolean }> {
    const directoryPath = target.directoryPath ?? null;
    const projectRef = target.projectRef ?? null;
    const label = describeTarget(kind, directoryPath, projectRef, target.day ?? null);
    for (let attempt = 0; attempt < 3; attempt++) {
      const resume = await this.resumePoint(targetKey);
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
              state: 'queued',
              requestedBy,
              startedAt: new Date(),
              message: null,
              failures: [],
              finishedAt: null,
              projectId: null,
              resumedFromId: resume?.fromId ?? null,
              resumeSince: resume?.since ?? null,
              parentRunId: extras.parentRunId ?? null,
              attempt: extras.attempt ?? 1,
              concurrency: extras.concurrency ?? null,
              fireAt: extras.fireAt ?? null,
              waitingSince: null,
              takeovers: 0,
              ...this.lease(),
              ...emptyCounters(),
            }),
          ),
        );
        return { run, created: true };
      } catch (err) {
        const active = await this.repo.findOneBy({ targetKey, state: In(ACTIVE_STATES) });
        if (!active) {
          if (attempt < 2) continue; // it ended between our insert and our look
          throw err;
        }
        if (isDead(active) && !awaitsTakeover(active, this.owner.instance)) {
          await this.interrupt(active.id, INTERRUPTED_MESSAGE);
          continue;
        }
        // A live run, or a dead one another instance's process left: it is taken over, joined here.
        return { run: active, created: false };
      }
    }
    throw new Error('could not start or join a sync run');
  }

  /**
   * The run a new one for this target continues: the latest run of the target, if it was
   * interrupted (or died). Its own resume point carries over, so a chain of interruptions resumes
   * from where the first one started.
   */
  async resumePoint(targetKey: string): Promise<ResumePoint | null> {
    const last = await this.repo.findOne({ where: { targetKey }, order: { id: 'DESC' } });
    if (!last || (last.state !== 'interrupted' && !isDead(last))) return null;
    return { fromId: last.id, since: last.resumeSince ?? last.startedAt };
  }

  /**
   * Claims the oldest run of `kinds` any instance may start: a queued one (whoever queued it), or a
   * running one whose instance died (its lease ran out; not this instance's own, which a restart
   * interrupts and resumes). The claimed run is running under this process's lease; a takeover
   * keeps its id and counts what the dead owner stored as done.
   */
  async claimNext(kinds: SyncRunKind[]): Promise<SyncRun | null> {
    const now = new Date();
    const claimable = (qb: ReturnType<Repository<SyncRun>['createQueryBuilder']>) =>
      qb
        .where('r.kind IN (:...kinds)', { kinds })
        .andWhere(
          new Brackets((w) =>
            w
              // The instance that queued a run starts it at once if it has room; the others wait a moment first.
              .where("r.state = 'queued' AND (r.owner_boot = :boot OR r.started_at < :ripe)", {
                boot: this.owner.boot,
                ripe: new Date(now.getTime() - CLAIM_GRACE_MS),
              })
              .orWhere("r.state = 'running' AND r.lease_expires_at < :now AND r.owner_instance <> :me", { now, me: this.owner.instance }),
          ),
        )
        .orderBy('r.id', 'ASC')
        .limit(1);
    // A read first: most polls find nothing, and on SQLite a write would queue behind the syncs' writes.
    if (!(await claimable(this.repo.createQueryBuilder('r')).getOne())) return null;
    return this.write(async (repo) => {
      const qb = claimable(repo.createQueryBuilder('r'));
      // Two instances never claim the same row: the loser skips it and takes the next.
      if (this.db.dialect === 'postgres') qb.setLock('pessimistic_write').setOnLocked('skip_locked');
      const run = await qb.getOne();
      if (!run) return null;
      const takeover = run.state === 'running';
      const claimed: Partial<SyncRun> = {
        state: 'running',
        waitingSince: null,
        ...this.lease(),
        ...(takeover ? { takeovers: run.takeovers + 1, resumeSince: run.resumeSince ?? run.startedAt } : { startedAt: now }),
      };
      const res = await repo.update({ id: run.id, state: run.state }, claimed);
      return (res.affected ?? 0) > 0 ? Object.assign(run, claimed) : null;
    });
  }

  /** Live, or dead but to be taken over by another instance under its id. */
  private alive(run: SyncRun): boolean {
    return !isDead(run) || awaitsTakeover(run, this.owner.instance);
  }

  /** Children of a nightly run, oldest first. */
  children(parentRunId: number): Promise<SyncRun[]> {
    return this.repo.find({ where: { parentRunId }, order: { id: 'ASC' } });
  }

  /** The nightly queued or running now (not dead), if any. */
  async activeNightly(): Promise<SyncRun | null> {
    const runs = await this.repo.find({ where: { kind: 'nightly', state: In(ACTIVE_STATES) }, order: { id: 'DESC' } });
    return runs.find((r) => this.alive(r)) ?? null;
  }

  /** The latest nightly run, whatever its state. */
  latestNightly(): Promise<SyncRun | null> {
    return this.repo.findOne({ where: { kind: 'nightly' }, order: { id: 'DESC' } });
  }

  /** Marks (or clears) the run as waiting for a LogiKal licence. */
  async setWaiting(runId: number, since: Date | null): Promise<void> {
    await this.write((repo) => repo.update({ id: runId, state: 'running' }, { waitingSince: since }));
  }

  /** The live queued/running run with this key, if any. */
  async active(targetKey: string): Promise<SyncRun | null> {
    const run = await this.repo.findOneBy({ targetKey, state: In(ACTIVE_STATES) });
    return run && this.alive(run) ? run : null;
  }

  /**
   * Gives a run the key of the project it turned out to be (a first sync by name is keyed by name
   * until the GUID is known). Returns the id of another live run that already has that key.
   */
  async rekey(runId: number, targetKey: string): Promise<number | null> {
    const other = async (): Promise<number | null> => {
      const run = await this.repo.findOneBy({ targetKey, state: In(ACTIVE_STATES), id: Not(runId) });
      if (run && isDead(run)) {
        await this.interrupt(run.id, INTERRUPTED_MESSAGE);
        return null;
      }
      return run?.id ?? null;
    };
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

  /** Renews the lease of every run this process owns: one statement, however many runs. */
  async renewLeases(): Promise<void> {
    const { leaseExpiresAt, heartbeatAt } = this.lease();
    await this.write((repo) => repo.update({ ownerBoot: this.owner.boot, state: In(ACTIVE_STATES) }, { leaseExpiresAt, heartbeatAt }));
  }

  /**
   * At start-up: runs an earlier start of this instance left queued or running are interrupted
   * (this instance resumes them), and so are runs without a lease (from before leases existed).
   * Dead runs of other instances are left to be taken over under their own id ({@link claimNext}).
   */
  async reapDead(): Promise<number> {
    const now = new Date();
    const interrupted = { state: 'interrupted' as const, message: INTERRUPTED_MESSAGE, finishedAt: now };
    return this.write(async (repo) => {
      let n = 0;
      for (const where of [
        { state: In(ACTIVE_STATES), leaseExpiresAt: IsNull() },
        { state: In(ACTIVE_STATES), ownerInstance: this.owner.instance, ownerBoot: Not(this.owner.boot) },
      ]) {
        n += (await repo.update(where, interrupted)).affected ?? 0;
      }
      return n;
    });
  }

  /** Interrupted runs this instance left that nothing has resumed yet (newest per target). */
  async toResume(): Promise<SyncRun[]> {
    const runs = await this.repo.find({ where: { state: 'interrupted', ownerInstance: this.owner.instance }, order: { id: 'DESC' } });
    const out: SyncRun[] = [];
    for (const r of runs) {
      if (out.some((o) => o.targetKey === r.targetKey)) continue;
      const later = await this.repo.findOne({ where: { targetKey: r.targetKey, id: Not(r.id) }, order: { id: 'DESC' } });
      if (!later || later.id < r.id) out.push(r);
    }
    return out.reverse();
  }

  async setProject(runId: number, projectId: number): Promise<void> {
    await this.write((repo) => repo.update({ id: runId }, { projectId }));
  }

  async progress(runId: number, counters: Counters): Promise<void> {
    await this.write((repo) => repo.update({ id: runId }, { ...counters, ...this.lease() }));
  }

  /** A terminal state is final: a run already ended (or interrupted) is not revived by a late finish. */
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

  /** Stopped by a crash or a shutdown: the next sync of the same target resumes it. */
  async interrupt(runId: number, message: string, failures?: SyncFailure[], counters?: Counters): Promise<void> {
    const now = new Date();
    await this.write((repo) =>
      repo.update(
        { id: runId, state: In(ACTIVE_STATES) },
        { ...(counters ?? {}), ...(failures ? { failures } : {}), state: 'interrupted', message, finishedAt: now },
      ),
    );
  }

  /** Shutdown: whatever this process still has queued or running is interrupted. */
  async interruptMine(message = INTERRUPTED_MESSAGE): Promise<number> {
    const now = new Date();
    const res = await this.write((repo) =>
      repo.update({ ownerBoot: this.owner.boot, state: In(ACTIVE_STATES) }, { state: 'interrupted', message, finishedAt: now }),
    );
    return res.affected ?? 0;
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
}

// Kept importable from here: the status page reads run rows through it.
export { toResult } from './run-result';
