import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';
import { Project } from './project.entity';

export { NULL_GUID } from '../server/guid';

/**
 * Every project's default phase has the null GUID, so a phase is identified by
 * (logikal id, project) — never by the logikal id alone (the predecessor's
 * global index ix_phases_logikal_id broke the second project's default phase).
 */
export const PHASE_UNIQUE = 'uq_phase_logikal_project';

@Entity('phases')
@Unique(PHASE_UNIQUE, ['logikalId', 'projectId'])
export class Phase {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_phases' })
  id!: number;

  @Column({ type: 'varchar', length: 36 })
  logikalId!: string;

  @Index('ix_phases_project_id')
  @Column({ type: 'integer' })
  projectId!: number;

  @ManyToOne(() => Project, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_phases_project' })
  project?: Project;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: TIMESTAMP, nullable: true })
  lastSyncedAt!: Date | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;
}
