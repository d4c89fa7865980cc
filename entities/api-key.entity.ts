import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';

export type Scope = 'read' | 'sync' | 'admin';
export const ALL_SCOPES: Scope[] = ['read', 'sync', 'admin'];

/** Keys are random 256-bit secrets, so a fast SHA-256 is a sufficient hash; only the hash is stored. */
@Entity('api_keys')
@Unique('uq_api_keys_name', ['name'])
@Unique('uq_api_keys_key_hash', ['keyHash'])
export class ApiKey {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_api_keys' })
  id!: number;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  keyHash!: string;

  /** The key's first characters, so people can tell keys apart in `apikey list`. */
  @Column({ type: 'varchar', length: 16 })
  keyPrefix!: string;

  @Column({ type: 'simple-array' })
  scopes!: Scope[];

  @Column({ type: TIMESTAMP })
  createdAt!: Date;

  @Column({ type: TIMESTAMP, nullable: true })
  revokedAt!: Date | null;

  @Column({ type: TIMESTAMP, nullable: true })
  lastUsedAt!: Date | null;
}
