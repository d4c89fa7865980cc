import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { BINARY, TIMESTAMP } from './column-types';

/**
 * A file the mirror keeps (a parts-list SQLite file, a thumbnail), stored once by its sha256
 * however many elevations share it. Kept out of the elevation rows so that reading an elevation
 * never walks a megabyte of overflow pages.
 */
@Entity('stored_files')
@Unique('uq_stored_files_sha256', ['sha256'])
export class StoredFile {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_stored_files' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ type: 'integer' })
  size!: number;

  @Column({ type: BINARY })
  content!: Buffer;

  @Column({ type: TIMESTAMP })
  createdAt!: Date;
}
