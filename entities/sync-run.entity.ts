import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP } from './column-types';

/**
 * `queued`: waiting for any instance with a free slot to claim it. `interrupted`: stopped by a
 * shutdown (or its instance restarted); the next sync of the same target resumes it.
 */
export type SyncRunState = 'queued' | 'running' | 'interrupted' | 'succeeded' | 'partial' | 'failed';
export type SyncRunKind = 'force_project' | 'project' | 'projects' | 'directories' | 'nightly';
export const ACTIVE_STATES: SyncRunState[] = ['queued', 'running'];

/**
 * At most one queued/running run per target, across every instance sharing the database:
 * the partial unique index is what makes a second force sync join the first.
 */
export const ACTIVE_RUN_UNIQUE = 'uq_sync_runs_active_target';

export interface SyncFailure {
  elevation: string;
  reason: string;
}

@Entity('sync_runs')
@Index(ACTIVE_RUN_UNIQUE, ['targetKey'], { unique: true, where: "state IN ('queued', 'running')" })
export class SyncRun {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_sync_runs' })
  id!: number;

  @Column({ type: 'varchar', length: 32 })
  kind!: SyncRunKind;

  /** What was asked for, for people: e.g. "Demo Odoo/DOS22309". */
  @Column({ type: 'varchar', length: 1024 })
  target!: string;

  /** The LogiKal directory path the run works in (project and projects runs). */
  @Column({ type: 'varchar', length: 1024, nullable: true })
  directoryPath!: string | null;

  /** The project as the caller named it: its name or its GUID. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  projectRef!: string | null;

  /** The run that took this run's work over (the same project asked for by name and by GUID). */
  @Column({ type: 'integer', nullable: true })
  supersededById!: number | null;

  /** What identifies the work, for coalescing: kind + LogiKal GUID or path. */
  @Column({ type: 'varchar', length: 1100 })
  targetKey!: string;

  @Index('ix_sync_runs_project_id')
  @Column({ type: 'integer', nullable: true })
  projectId!: number | null;

  @Index('ix_sync_runs_state')
  @Column({ type: 'varchar', length: 16 })
  state!: SyncRunState;

  @Column({ type: 'integer', default: 0 })
  phasesSynced!: number;

  @Column({ type: 'integer', default: 0 })
  elevationsSynced!: number;

  @Column({ type: 'integer', default: 0 })
  elevationsTotal!: number;

  @Column({ type: 'integer', default: 0 })
  partsListsSynced!: number;

  @Column({ type: 'integer', default: 0 })
  partsListsFailed!: number;

  @Column({ type: 'integer', default: 0 })
  partsListsUnchanged!: number;

  @Column({ type: 'integer', default: 0 })
  thumbnailsSynced!: number;

  @Column({ type: 'text', nullable: true })
  message!: string | null;

  @Column({ type: 'simple-json', nullable: true })
  failures!: SyncFailure[] | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  requestedBy!: string | null;

  @Column({ type: TIMESTAMP })
  startedAt!: Date;

  @Column({ type: TIMESTAMP, nullable: true })
  finishedAt!: Date | null;

  /** Bumped while the run makes progress. */
  @Column({ type: TIMESTAMP, nullable: true })
  heartbeatAt!: Date | null;

  /** The instance (BRIDGE_INSTANCE_ID) whose process runs or queues it. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  ownerInstance!: string | null;

  /** That process: a new id at every start, so a restarted instance knows its earlier runs are dead. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  ownerBoot!: string | null;

  /** The owner renews this while it lives; a queued or running run past it is dead (read as `interrupted`). */
  @Index('ix_sync_runs_lease_expires_at')
  @Column({ type: TIMESTAMP, nullable: true })
  leaseExpiresAt!: Date | null;

  /** The interrupted run this one resumes: what that run (and its own predecessors) finished is not redone. */
  @Column({ type: 'integer', nullable: true })
  resumedFromId!: number | null;

  /** Elevations whose parts list was stored since this time were finished by the interrupted run(s) resumed. */
  @Column({ type: TIMESTAMP, nullable: true })
  resumeSince!: Date | null;

  /** The nightly run this smart sync is a child of. */
  @Index('ix_sync_runs_parent_run_id')
  @Column({ type: 'integer', nullable: true })
  parentRunId!: number | null;

  /** A nightly child's try: a failed project is retried later in the night as a new child with the next attempt. */
  @Column({ type: 'integer', default: 1 })
  attempt!: number;

  /** Parallel LogiKal sessions the caller asked for; whichever instance claims the run uses it. */
  @Column({ type: 'integer', nullable: true })
  concurrency!: number | null;

  /** Set while every unit of the run waits for a LogiKal licence (the shared cap is full). */
  @Column({ type: TIMESTAMP, nullable: true })
  waitingSince!: Date | null;

  /** How often another instance took the run over after its owner died. */
  @Column({ type: 'integer', default: 0 })
  takeovers!: number;

  /** A nightly: the scheduled time of the firing it stands for. */
  @Column({ type: TIMESTAMP, nullable: true })
  fireAt!: Date | null;
}
