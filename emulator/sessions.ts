import { randomUUID } from 'node:crypto';
import type { NavContext } from './state-machine';
import type { StatsCollector } from './stats';

export interface Session {
  token: string;
  username: string;
  createdAt: number;
  lastSeen: number;
  ctx: NavContext;
}

export interface SessionLimits {
  /** Licence cap; a login beyond it is refused (licenceRefusalStatus, 403 by default). */
  maxSessions: number;
  /** Sessions unused for this long vanish (401 afterwards); 0 = never. */
  idleExpirySeconds: number;
}

/**
 * Licence seats. Expiry is checked lazily on every lookup and login (so a test can shrink
 * idleExpirySeconds and see the effect immediately) and by an unref'd sweeper for the stats.
 */
export class SessionStore {
  private sessions = new Map<string, Session>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private limits: SessionLimits,
    private stats: StatsCollector,
    private now: () => number = Date.now,
  ) {
    this.armSweeper();
  }

  setLimits(limits: Partial<SessionLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.armSweeper();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** undefined = licence limit reached. */
  create(username: string): Session | undefined {
    this.sweep();
    if (this.sessions.size >= this.limits.maxSessions) return undefined;
    const t = this.now();
    const session: Session = { token: randomUUID(), username, createdAt: t, lastSeen: t, ctx: { level: 'root' } };
    this.sessions.set(session.token, session);
    this.stats.setOpenSessions(this.sessions.size);
    return session;
  }

  /** Looks a token up and marks it used; an idle-expired session is dropped and not returned. */
  use(token: string | undefined): Session | undefined {
    if (!token) return undefined;
    const s = this.sessions.get(token);
    if (!s) return undefined;
    if (this.expired(s)) {
      this.drop(s.token, true);
      return undefined;
    }
    s.lastSeen = this.now();
    return s;
  }

  remove(token: string): boolean {
    return this.drop(token, false);
  }

  dropAll(): number {
    const n = this.sessions.size;
    for (const token of [...this.sessions.keys()]) this.drop(token, true);
    return n;
  }

  sweep(): void {
    for (const s of [...this.sessions.values()]) if (this.expired(s)) this.drop(s.token, true);
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private expired(s: Session): boolean {
    const idle = this.limits.idleExpirySeconds;
    return idle > 0 && this.now() - s.lastSeen > idle * 1000;
  }

  private drop(token: string, expired: boolean): boolean {
    if (!this.sessions.delete(token)) return false;
    if (expired) this.stats.bump('expiredSessions');
    this.stats.setOpenSessions(this.sessions.size);
    return true;
  }

  private armSweeper(): void {
    this.stop();
    const idle = this.limits.idleExpirySeconds;
    if (idle <= 0) return;
    this.sweeper = setInterval(() => this.sweep(), Math.min(30_000, Math.max(250, idle * 500)));
    this.sweeper.unref();
  }
}
