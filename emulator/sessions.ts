import { randomUUID } from 'node:crypto';
import type { NavContext } from './state-machine';
import type { StatsCollector } from './stats';

export interface Session {
  token: string;
  username: string;
  createdAt: number;
  lastSeen: number;
  ctx: NavContext;
  /** When the emulator last answered a call of this session, and which endpoint that was (unset while a call runs). */
  repliedAt?: number;
  repliedTo?: string;
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
  /** Licence time counts from here (start, or the last resetStats()). */
  private countedFrom: number;

  constructor(
    private limits: SessionLimits,
    private stats: StatsCollector,
    private now: () => number = Date.now,
  ) {
    this.countedFrom = this.now();
    this.armSweeper();
  }

  setLimits(limits: Partial<SessionLimits>): void {
    this.limits = { ...this.limits, ...limits };
    this.armSweeper();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Licence time is counted from now on (the stats were reset); open sessions count from now too. */
  restartClock(): void {
    this.countedFrom = this.now();
  }

  /** Milliseconds the open sessions have held their seats since the clock (re)started. */
  openMs(): number {
    const t = this.now();
    let ms = 0;
    for (const s of this.sessions.values()) ms += t - Math.max(s.createdAt, this.countedFrom);
    return ms;
  }

  /** The emulator answered a call of `s`: it sits idle from now until its next call or its end. */
  replied(s: Session, endpoint: string): void {
    if (this.sessions.get(s.token) !== s) return;
    s.repliedAt = this.now();
    s.repliedTo = endpoint;
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
    this.endIdle(s, s.lastSeen);
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
    const s = this.sessions.get(token);
    if (!s || !this.sessions.delete(token)) return false;
    // An expired session freed its seat when it expired, not when it was noticed.
    const end =
      expired && this.limits.idleExpirySeconds > 0 ? Math.min(this.now(), s.lastSeen + this.limits.idleExpirySeconds * 1000) : this.now();
    this.stats.sessionClosed(end - Math.max(s.createdAt, this.countedFrom));
    this.endIdle(s, end);
    if (expired) this.stats.bump('expiredSessions');
    this.stats.setOpenSessions(this.sessions.size);
    return true;
  }

  private endIdle(s: Session, end: number): void {
    if (s.repliedAt === undefined) return;
    this.stats.heldIdle(s.repliedTo ?? 'UNKNOWN', end - Math.max(s.repliedAt, this.countedFrom));
    s.repliedAt = undefined;
  }

  private armSweeper(): void {
    this.stop();
    const idle = this.limits.idleExpirySeconds;
    if (idle <= 0) return;
    this.sweeper = setInterval(() => this.sweep(), Math.min(30_000, Math.max(250, idle * 500)));
    this.sweeper.unref();
  }
}
