import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';

/** A LogiKal project-center folder. LogiKal gives folders no id: the full path is the identity. */
@Entity('directories')
@Unique('uq_directory_path', ['path'])
export class Directory {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_directories' })
  id!: number;

  @Column({ type: 'varchar', length: 1024 })
  path!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Index('ix_directories_parent_id')
  @Column({ type: 'integer', nullable: true })
  parentId!: number | null;

  @ManyToOne(() => Directory, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_directories_parent' })
  parent?: Directory | null;

  /** false once a complete listing of the parent no longer contains it. */
  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @Column({ type: TIMESTAMP, nullable: true })
  lastSyncedAt!: Date | null;
}
