import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { TIMESTAMP } from './column-types';

export type SeatState = 'waiting' | 'held';

/**
 * One LogiKal licence seat taken, or asked for, by a bridge process: LOGIKAL_MAX_SESSIONS is the
 * budget of every instance sharing the database. Waiters are served by id (first come, first
 * served across instances); a row whose lease ran out belongs to a dead process and is dropped.
 */
@Entity('logikal_seats')
export class LogikalSeat {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_logikal_seats' })
  id!: number;

  @Column({ type: 'varchar', length: 8 })
  state!: SeatState;

  @Column({ type: 'varchar', length: 64 })
  holderInstance!: string;

  /** The process (a new id at every start); it renews the lease of its rows while it lives. */
  @Column({ type: 'varchar', length: 36 })
  holderBoot!: string;

  /** The sync run the seat is for, when known (sync.status says a run waits for a licence). */
  @Column({ type: 'integer', nullable: true })
  runId!: number | null;

  @Column({ type: TIMESTAMP })
  requestedAt!: Date;

  @Column({ type: TIMESTAMP })
  leaseExpiresAt!: Date;
}
