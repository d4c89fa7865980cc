import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';
import { Directory } from './directory.entity';

@Entity('projects')
@Unique('uq_project_logikal_id', ['logikalId'])
export class Project {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_projects' })
  id!: number;

  /** LogiKal's project GUID (lower-case). */
  @Column({ type: 'varchar', length: 36 })
  logikalId!: string;

  @Index('ix_projects_name')
  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Index('ix_projects_directory_id')
  @Column({ type: 'integer', nullable: true })
  directoryId!: number | null;

  @ManyToOne(() => Directory, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'directory_id', foreignKeyConstraintName: 'fk_projects_directory' })
  directory?: Directory | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  jobNumber!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  offerNumber!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  personInCharge!: string | null;

  @Column({ type: 'boolean', default: false })
  estimated!: boolean;

  @Column({ type: TIMESTAMP, nullable: true })
  logikalCreatedAt!: Date | null;

  @Column({ type: TIMESTAMP, nullable: true })
  logikalChangedAt!: Date | null;

  @Column({ type: TIMESTAMP, nullable: true })
  lastSyncedAt!: Date | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;
}
