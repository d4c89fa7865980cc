import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { TIMESTAMP } from './column-types';

export type Scope = 'read' | 'sync' | 'admin';
export const ALL_SCOPES: Scope[] = ['read', 'sync', 'admin'];

/**
 * Only a hash of each key is stored, never any of its characters. Generated keys are random
 * 256-bit secrets, so a fast SHA-256 is a sufficient hash; the operator-chosen bootstrap key is
 * hashed with scrypt and a salt of its own (server/auth/api-key.service.ts).
 */
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

  /** null: keyHash is the SHA-256 of a generated key; set: keyHash is scrypt(key, keySalt). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  keySalt!: string | null;

  @Column({ type: 'simple-array' })
  scopes!: Scope[];

  @Column({ type: TIMESTAMP })
  createdAt!: Date;

  @Column({ type: TIMESTAMP, nullable: true })
  revokedAt!: Date | null;

  @Column({ type: TIMESTAMP, nullable: true })
  lastUsedAt!: Date | null;
}
