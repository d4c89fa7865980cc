import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { ApiKey, ALL_SCOPES, type Scope } from '../../entities';
import { MAX_API_KEY_LENGTH } from '../config';
import { AccessDeniedError, InvalidParamsError, NotFoundError, UserError } from '../errors';
import { getLogger, registerSecret } from '../logging';
import type { Db } from '../db/db';

const log = getLogger('auth');

/** Who is calling: resolved from the key once per request. */
export interface Caller {
  keyId: number;
  name: string;
  scopes: Scope[];
}

const LAST_USED_RESOLUTION_MS = 60_000;
/**
 * A key just checked is trusted this long without another look-up: Odoo sends its key with every
 * call. A revocation here clears it at once; one made by another instance takes effect within this.
 */
const RECENT_MS = 2_000;
const RECENT_MAX = 1_000;
const BOOTSTRAP = 'bootstrap';
const scryptAsync = promisify(scrypt) as (key: string, salt: string, length: number) => Promise<Buffer>;

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * How an operator-chosen key is stored: scrypt with a per-key salt, as such a key may be weak.
 * Generated keys are random 256-bit secrets, for which a plain SHA-256 is enough.
 */
async function saltedHash(key: string, salt: string): Promise<string> {
  return (await scryptAsync(key, salt, 32)).toString('hex');
}

/** What `apikey list` shows to tell keys apart: derived from the stored hash, so it says nothing about the key. */
export function keyFingerprint(record: Pick<ApiKey, 'keyHash'>): string {
  return record.keyHash.slice(0, 8);
}

export function parseScopes(raw: string | string[]): Scope[] {
  const list = (Array.isArray(raw) ? raw : raw.split(',')).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidParamsError('scopes: expected at least one of read, sync, admin');
  for (const s of list) {
    if (!ALL_SCOPES.includes(s as Scope)) throw new InvalidParamsError(`scopes: unknown scope "${s}" (expected read, sync, admin)`);
  }
  return [...new Set(list)] as Scope[];
}

export class ApiKeyService {
  /** BRIDGE_BOOTSTRAP_KEY, once applied: the one key stored salted, so it is recognised here first. */
  private bootstrapKey: string | undefined;
  private readonly bootstrapHashes = new Map<string, string>();
  /** sha256 of a presented key → whom it resolved to, and until when that holds. */
  private readonly recent = new Map<string, { caller: Caller; until: number }>();

  constructor(private readonly db: Db) {}

  /** Any change to the stored keys makes every recent answer stale. */
  private forgetRecent(): void {
    this.recent.clear();
  }

  private get repo(): Repository<ApiKey> {
    return this.db.reader.getRepository(ApiKey);
  }

  private write<T>(fn: (repo: Repository<ApiKey>) => Promise<T>): Promise<T> {
    return this.db.write((m) => fn(m.getRepository(ApiKey)));
  }

  /** Creates a key and returns it in clear text: the only time it is ever shown. */
  async create(name: string, scopes: Scope[]): Promise<{ key: string; record: ApiKey }> {
    const clean = name.trim();
    if (!/^[\w .@-]{1,100}$/u.test(clean)) throw new InvalidParamsError('name: 1-100 letters, digits, spaces, . @ _ -');
    if (await this.repo.findOneBy({ name: clean })) throw new UserError(`An API key named "${clean}" already exists`);
    const key = 'lkb_' + randomBytes(32).toString('base64url');
    registerSecret(key);
    const record = await this.write((repo) =>
      repo.save(
        repo.create({
          name: clean,
          keyHash: sha256(key),
          keySalt: null,
          scopes,
          createdAt: new Date(),
          revokedAt: null,
          lastUsedAt: null,
        }),
      ),
    );
    return { key, record };
  }

  /**
   * BRIDGE_BOOTSTRAP_KEY set (every start): a key with every scope named "bootstrap", re-enabled,
   * and re-pointed if the value changed.
   */
  async ensureBootstrapKey(key: string): Promise<void> {
    registerSecret(key);
    this.forgetRecent();
    if (this.bootstrapKey !== key) this.bootstrapHashes.clear();
    this.bootstrapKey = key;
    const existing = await this.repo.findOneBy({ name: BOOTSTRAP });
    // The same key keeps its salt (one scrypt at start-up); a new value gets a new salt.
    const same = !!existing?.keySalt && (await this.bootstrapHash(existing.keySalt)) === existing.keyHash;
    const salt = same ? existing.keySalt! : randomBytes(16).toString('hex');
    const fields = { keyHash: await this.bootstrapHash(salt), keySalt: salt, scopes: ALL_SCOPES, revokedAt: null };
    const upsert = (): Promise<void> =>
      this.write(async (repo) => {
        const row = await repo.findOneBy({ name: BOOTSTRAP });
        if (row) await repo.update({ id: row.id }, fields);
        else await repo.insert({ name: BOOTSTRAP, createdAt: new Date(), lastUsedAt: null, ...fields });
      });
    // Instances starting together on one database: the one whose insert lost updates the winner's row.
    await upsert().catch(async (err: unknown) => {
      if (!(await this.repo.findOneBy({ name: BOOTSTRAP }))) throw err;
      await upsert();
    });
  }

  /**
   * BRIDGE_BOOTSTRAP_KEY unset when the server starts: the stored key is revoked, and its hash replaced by random bytes so
   * nothing derived from the old secret stays (rows from before salting held a plain SHA-256 of it).
   */
  async retireBootstrapKey(): Promise<void> {
    this.forgetRecent();
    this.bootstrapKey = undefined;
    this.bootstrapHashes.clear();
    const retired = await this.write(async (repo) => {
      const row = await repo.findOneBy({ name: BOOTSTRAP });
      if (!row || (row.revokedAt && row.keySalt)) return false;
      const scrubbed = { keyHash: randomBytes(32).toString('hex'), keySalt: randomBytes(16).toString('hex') };
      await repo.update({ id: row.id }, { ...scrubbed, revokedAt: row.revokedAt ?? new Date() });
      return !row.revokedAt;
    });
    if (retired) log.warn('BRIDGE_BOOTSTRAP_KEY is unset: the stored bootstrap key is revoked');
  }

  async list(): Promise<ApiKey[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  async revoke(nameOrId: string): Promise<ApiKey> {
    const rec = /^\d+$/.test(nameOrId)
      ? await this.repo.findOneBy({ id: Number(nameOrId) })
      : await this.repo.findOneBy({ name: nameOrId });
    if (!rec) throw new NotFoundError(`No API key named "${nameOrId}"`);
    this.forgetRecent();
    if (!rec.revokedAt) await this.write((repo) => repo.update({ id: rec.id }, { revokedAt: new Date() }));
    return { ...rec, revokedAt: rec.revokedAt ?? new Date() };
  }

  /**
   * Resolves a presented key. The lookup is by hash; the final comparison is constant-time so
   * that timing says nothing about how much of a guess matched.
   */
  async authenticate(presented: string | undefined | null): Promise<Caller> {
    if (!presented || typeof presented !== 'string' || presented.length > MAX_API_KEY_LENGTH) throw new AccessDeniedError('Access Denied');
    const hash = sha256(presented);
    const seen = this.recent.get(hash);
    if (seen && seen.until > Date.now()) return seen.caller;
    const generated = await this.repo.findOneBy({ keyHash: hash, keySalt: IsNull(), revokedAt: IsNull() });
    const expected = Buffer.from(generated?.keyHash ?? '0'.repeat(64), 'hex');
    const rec = generated && timingSafeEqual(expected, Buffer.from(hash, 'hex')) ? generated : await this.bootstrapRecord(presented);
    if (!rec) throw new AccessDeniedError('Access Denied');
    // Bookkeeping, not security: at most one write a minute per key keeps it off the hot path,
    // and a failed write must not deny a valid caller.
    if (!rec.lastUsedAt || Date.now() - rec.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      this.write((repo) => repo.update({ id: rec.id }, { lastUsedAt: new Date() })).catch(() => undefined);
    }
    const caller = { keyId: rec.id, name: rec.name, scopes: rec.scopes };
    if (this.recent.size >= RECENT_MAX) this.forgetRecent();
    this.recent.set(hash, { caller, until: Date.now() + RECENT_MS });
    return caller;
  }

  /**
   * The bootstrap row, if `presented` is this process's BRIDGE_BOOTSTRAP_KEY and the row still
   * holds its hash. The key is compared first (constant time), so a wrong key never costs an scrypt.
   */
  private async bootstrapRecord(presented: string): Promise<ApiKey | null> {
    const own = this.bootstrapKey;
    if (!own || !timingSafeEqual(Buffer.from(sha256(presented), 'hex'), Buffer.from(sha256(own), 'hex'))) return null;
    const rec = await this.repo.findOneBy({ name: BOOTSTRAP, revokedAt: IsNull() });
    return rec?.keySalt && (await this.bootstrapHash(rec.keySalt)) === rec.keyHash ? rec : null;
  }

  /** scrypt of this process's bootstrap key, once per salt (another instance may re-point the row). */
  private async bootstrapHash(salt: string): Promise<string> {
    let hash = this.bootstrapHashes.get(salt);
    if (hash === undefined) {
      hash = await saltedHash(this.bootstrapKey!, salt);
      this.bootstrapHashes.set(salt, hash);
    }
    return hash;
  }

  /** Odoo's uid: the key's id. Checks that the key belongs to that uid. */
  async authenticateUid(uid: unknown, presented: unknown): Promise<Caller> {
    const caller = await this.authenticate(typeof presented === 'string' ? presented : undefined);
    const n = typeof uid === 'string' && /^\d+$/.test(uid) ? Number(uid) : uid;
    if (n !== caller.keyId) throw new AccessDeniedError('Access Denied');
    return caller;
  }
}

export function requireScope(caller: Caller, scope: Scope): void {
  if (!caller.scopes.includes(scope)) throw new AccessDeniedError(`Access Denied: this API key lacks the "${scope}" scope`);
}
