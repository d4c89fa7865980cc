import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';
import { Phase } from './phase.entity';
import { Project } from './project.entity';
import { StoredFile } from './stored-file.entity';

export const ELEVATION_UNIQUE = 'uq_elevation_logikal_phase';

export type ParseStatus = 'pending' | 'success' | 'failed';

@Entity('elevations')
@Unique(ELEVATION_UNIQUE, ['logikalId', 'phaseId'])
export class Elevation {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_elevations' })
  id!: number;

  @Column({ type: 'varchar', length: 36 })
  logikalId!: string;

  /** Changes when the elevation is edited in LogiKal: the smart sync's change key, with changedDate. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  versionId!: string | null;

  @Index('ix_elevations_phase_id')
  @Column({ type: 'integer' })
  phaseId!: number;

  @ManyToOne(() => Phase, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'phase_id', foreignKeyConstraintName: 'fk_elevations_phase' })
  phase?: Phase;

  @Index('ix_elevations_project_id')
  @Column({ type: 'integer' })
  projectId!: number;

  @ManyToOne(() => Project, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_elevations_project' })
  project?: Project;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'double precision', nullable: true })
  amount!: number | null;

  @Column({ type: 'double precision', nullable: true })
  width!: number | null;

  @Column({ type: 'double precision', nullable: true })
  height!: number | null;

  @Column({ type: 'text', nullable: true })
  automaticDescription!: string | null;

  @Column({ type: 'text', nullable: true })
  systemDescription!: string | null;

  @Column({ type: 'text', nullable: true })
  modelDescription!: string | null;

  @Column({ type: 'text', nullable: true })
  userDescription!: string | null;

  @Column({ type: TIMESTAMP, nullable: true })
  logikalChangedAt!: Date | null;

  /** The stored thumbnail; kept when a later download fails. */
  @Index('ix_elevations_thumbnail_file_id')
  @Column({ type: 'integer', nullable: true })
  thumbnailFileId!: number | null;

  @ManyToOne(() => StoredFile, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'thumbnail_file_id', foreignKeyConstraintName: 'fk_elevations_thumbnail_file' })
  thumbnailFile?: StoredFile | null;

  /** Hash of the verified current thumbnail; null makes the next smart sync fetch it again. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  thumbnailSha256!: string | null;

  /** The parts-list SQLite file as LogiKal exported it. */
  @Index('ix_elevations_parts_list_file_id')
  @Column({ type: 'integer', nullable: true })
  partsListFileId!: number | null;

  @ManyToOne(() => StoredFile, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'parts_list_file_id', foreignKeyConstraintName: 'fk_elevations_parts_list_file' })
  partsListFile?: StoredFile | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  partsListSha256!: string | null;

  @Column({ type: 'integer', nullable: true })
  partsListSize!: number | null;

  @Column({ type: TIMESTAMP, nullable: true })
  partsListSyncedAt!: Date | null;

  /** LogiKal's change key (versionId|changedDate) the stored parts list was downloaded at: the smart sync compares it. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  partsListSourceKey!: string | null;

  // Fields parsed from the parts list's Elevations row.
  @Column({ type: 'text', nullable: true })
  autoDescription!: string | null;

  @Column({ type: 'text', nullable: true })
  autoDescriptionShort!: string | null;

  @Column({ type: 'double precision', nullable: true })
  widthOut!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  widthUnit!: string | null;

  @Column({ type: 'double precision', nullable: true })
  heightOut!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  heightUnit!: string | null;

  @Column({ type: 'double precision', nullable: true })
  weightOut!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  weightUnit!: string | null;

  @Column({ type: 'double precision', nullable: true })
  areaOutput!: number | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  areaUnit!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  systemCode!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  systemName!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  systemLongName!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  colorBaseLong!: string | null;

  /** Rows of Articles + Profiles + Glass belonging to this elevation in its parts list. */
  @Column({ type: 'integer', nullable: true })
  partsCount!: number | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  parseStatus!: ParseStatus;

  @Column({ type: 'text', nullable: true })
  parseError!: string | null;

  @Column({ type: TIMESTAMP, nullable: true })
  lastSyncedAt!: Date | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;
}
