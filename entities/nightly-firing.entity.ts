import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TIMESTAMP } from './column-types';

/**
 * One firing of the nightly schedule, claimed by its fire time: whichever instance inserts the row
 * first runs the nightly (or records it skipped), every other instance finds it taken.
 */
@Entity('nightly_firings')
export class NightlyFiring {
  @PrimaryColumn({ type: TIMESTAMP, primaryKeyConstraintName: 'pk_nightly_firings' })
  fireAt!: Date;

  /** cron, catch-up (missed while every instance was down) or manual (sync.run_nightly). */
  @Column({ type: 'varchar', length: 16 })
  source!: string;

  /** started, or skipped (the previous nightly still ran). */
  @Column({ type: 'varchar', length: 16 })
  outcome!: string;

  @Column({ type: 'integer', nullable: true })
  runId!: number | null;

  @Column({ type: 'varchar', length: 64 })
  instance!: string;

  @Column({ type: TIMESTAMP })
  recordedAt!: Date;
}
