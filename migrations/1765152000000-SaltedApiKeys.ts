import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * API keys lose the clear-text prefix (the first 8 characters of each key, the operator-chosen
 * bootstrap key's included) and gain a salt: the bootstrap key is stored as scrypt(key, salt).
 * `apikey list` shows a fingerprint derived from the hash instead. Existing rows keep their
 * SHA-256 hashes (salt NULL), so every key works on; the bootstrap row is re-hashed with a salt
 * at the next start, or scrubbed if BRIDGE_BOOTSTRAP_KEY is unset by then.
 */
export class SaltedApiKeys1765152000000 implements MigrationInterface {
  name = 'SaltedApiKeys1765152000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('api_keys', new TableColumn({ name: 'key_salt', type: 'varchar', length: '32', isNullable: true }));
    await q.dropColumn('api_keys', 'key_prefix');
  }

  async down(q: QueryRunner): Promise<void> {
    // The clear text is gone for good: the old column gets the fingerprint the new code showed.
    await q.addColumn('api_keys', new TableColumn({ name: 'key_prefix', type: 'varchar', length: '16', isNullable: true }));
    await q.query('UPDATE api_keys SET key_prefix = substr(key_hash, 1, 8)');
    await q.changeColumn(
      'api_keys',
      'key_prefix',
      new TableColumn({ name: 'key_prefix', type: 'varchar', length: '16', isNullable: false }),
    );
    await q.dropColumn('api_keys', 'key_salt');
  }
}
