import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';

/**
 * What the bridge learnt a LogiKal server lets a session do beyond the strict one-way walk
 * (server/logikal/capabilities.ts): one row per server (URL + version) and capability, rewritten
 * when what LogiKal shows changes. A new version of the server has no rows yet: learnt again.
 */
@Entity('logikal_capabilities')
@Unique('uq_logikal_capabilities_server', ['serverUrl', 'serverVersion', 'capability'])
export class LogikalCapability {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_logikal_capabilities' })
  id!: number;

  /** LOGIKAL_URL as the client uses it (never with credentials: the client refuses those). */
  @Column({ type: 'varchar', length: 500 })
  serverUrl!: string;

  /** GET /version's components, e.g. "MbioeService 12.2.6.59; LogiKal 12.2.6". */
  @Column({ type: 'varchar', length: 160 })
  serverVersion!: string;

  /** 'sibling_elevation_select' | 'sibling_phase_select'. */
  @Column({ type: 'varchar', length: 32 })
  capability!: string;

  @Column({ type: 'boolean' })
  allowed!: boolean;

  /** What showed it: LogiKal's refusal, or the sibling select that worked. */
  @Column({ type: 'varchar', length: 300 })
  evidence!: string;

  @Column({ type: TIMESTAMP })
  learntAt!: Date;
}
