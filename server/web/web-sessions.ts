import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { IsNull } from 'typeorm';
import { ApiKey } from '../../entities';
import type { Caller } from '../auth/api-key.service';
import type { Db } from '../db/db';

/** A signed-in browser or Odoo web client: which key it traded, and its CSRF token. */
export interface WebSession {
  keyId: number;
  /** What the client called itself at sign-in (Odoo's login), for session_info. */
  login: string;
  csrfToken: string;
  expiresAt: number;
}

export interface SessionOptions {
  /** Idle lifetime: every use pushes the expiry this far out. */
  idleMs: number;
  /** Most sessions kept; the least recently used goes first. */
  maxSessions?: number;
}

const hash = (sid: string): string => createHash('sha256').update(sid).digest('hex');

/**
 * Cookie sessions for the status page and Odoo's web-session API, kept in this process's memory:
 * a restart signs everyone out, and with several instances behind a balancer a client must stick
 * to one (both acceptable for a read-only page and for OdooRPC, which signs in again). The API key
 * itself is never kept: a session holds the key's id, and every use re-reads that key, so revoking
 * it (or dropping a scope) takes effect at once. Sessions are indexed by a hash of the cookie value.
 */
export class WebSessions {
  private readonly sessions = new Map<string, WebSession>();
  private readonly maxSessions: number;

  constructor(
    private readonly db: Db,
    private readonly opts: SessionOptions,
  ) {
    this.maxSessions = opts.maxSessions ?? 10_000;
  }

  /** A new session for a caller whose key was just checked; returns the cookie value. */
  open(caller: Caller, login: string): { sid: string; session: WebSession } {
    const sid = randomBytes(32).toString('base64url');
    const session: WebSession = {
      keyId: caller.keyId,
      login: login.slice(0, 100),
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: Date.now() + this.opts.idleMs,
    };
    this.sessions.set(hash(sid), session);
    for (const oldest of this.sessions.keys()) {
      if (this.sessions.size <= this.maxSessions) break;
      this.sessions.delete(oldest);
    }
    return { sid, session };
  }

  /** The live session of this cookie value and its caller as the key reads now; null when expired, unknown or revoked. */
  async resolve(sid: string | undefined): Promise<{ session: WebSession; caller: Caller } | null> {
    if (!sid || sid.length > 100) return null;
    const key = hash(sid);
    const session = this.sessions.get(key);
    if (!session) return null;
    if (session.expiresAt < Date.now()) {
      this.sessions.delete(key);
      return null;
    }
    const rec = await this.db.reader.getRepository(ApiKey).findOneBy({ id: session.keyId, revokedAt: IsNull() });
    if (!rec) {
      this.sessions.delete(key);
      return null;
    }
    // Map order is insertion order: re-inserting keeps the least recently used first in line for eviction.
    this.sessions.delete(key);
    session.expiresAt = Date.now() + this.opts.idleMs;
    this.sessions.set(key, session);
    return { session, caller: { keyId: rec.id, name: rec.name, scopes: rec.scopes } };
  }

  end(sid: string | undefined): void {
    if (sid) this.sessions.delete(hash(sid));
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: WebSession, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
