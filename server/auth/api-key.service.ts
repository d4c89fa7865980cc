import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Repository } from 'typeorm';
import { IsNull } from 'typeorm';
import { ApiKey, ALL_SCOPES, type Scope } from '../../entities';
import { AccessDeniedError, InvalidParamsError, NotFoundError, UserError } from '../errors';
import { registerSecret } from '../logging';
import type { Db } from '../db/db';

/** Who is calling: resolved from the key once per request. */
export interface Caller {
  keyId: number;
  name: string;
  scopes: Scope[];
}

const PREFIX_LEN = 8;
const LAST_USED_RESOLUTION_MS = 60_000;

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
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
  constructor(private readonly db: Db) {}

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
          keyPrefix: key.slice(0, PREFIX_LEN),
          scopes,
          createdAt: new Date(),
          revokedAt: null,
          lastUsedAt: null,
        }),
      ),
    );
    return { key, record };
  }

  /** BRIDGE_BOOTSTRAP_KEY: a key with every scope named "bootstrap", re-pointed if the value changed. */
  async ensureBootstrapKey(key: string): Promise<void> {
    registerSecret(key);
    const fields = { keyHash: sha256(key), keyPrefix: key.slice(0, PREFIX_LEN), scopes: ALL_SCOPES, revokedAt: null };
    await this.write(async (repo) => {
      const existing = await repo.findOneBy({ name: 'bootstrap' });
      if (existing) await repo.update({ id: existing.id }, fields);
      else await repo.insert({ name: 'bootstrap', createdAt: new Date(), lastUsedAt: null, ...fields });
    });
  }

  async list(): Promise<ApiKey[]> {
    return this.repo.find({ order: { id: 'ASC' } });
  }

  async revoke(nameOrId: string): Promise<ApiKey> {
    const rec = /^\d+$/.test(nameOrId)
      ? await this.repo.findOneBy({ id: Number(nameOrId) })
      : await this.repo.findOneBy({ name: nameOrId });
    if (!rec) throw new NotFoundError(`No API key named "${nameOrId}"`);
    if (!rec.revokedAt) await this.write((repo) => repo.update({ id: rec.id }, { revokedAt: new Date() }));
    return { ...rec, revokedAt: rec.revokedAt ?? new Date() };
  }

  /**
   * Resolves a presented key. The lookup is by hash; the final comparison is constant-time so
   * that timing says nothing about how much of a guess matched.
   */
  async authenticate(presented: string | undefined | null): Promise<Caller> {
    if (!presented || typeof presented !== 'string' || presented.length > 200) throw new AccessDeniedError('Access Denied');
    const hash = sha256(presented);
    const rec = await this.repo.findOneBy({ keyHash: hash, revokedAt: IsNull() });
    const expected = Buffer.from(rec?.keyHash ?? '0'.repeat(64), 'hex');
    if (!rec || !timingSafeEqual(expected, Buffer.from(hash, 'hex'))) throw new AccessDeniedError('Access Denied');
    // Bookkeeping, not security: at most one write a minute per key keeps it off the hot path,
    // and a failed write must not deny a valid caller.
    if (!rec.lastUsedAt || Date.now() - rec.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      this.write((repo) => repo.update({ id: rec.id }, { lastUsedAt: new Date() })).catch(() => undefined);
    }
    return { keyId: rec.id, name: rec.name, scopes: rec.scopes };
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
