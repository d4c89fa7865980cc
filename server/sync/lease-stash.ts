import type { LogikalClient, SessionLease } from '../logikal';

/**
 * Sessions logged in ahead of need. Login is the long pole (~4.5 s on the real server) and needs
 * no knowledge of the path, so a force sync starts logins while its first session is still listing
 * the project. Every task of the run takes its session from here: a ready one, the next one still
 * logging in, or a fresh one from the pool — so a logged-in session never idles while a task waits.
 */
export class LeaseStash {
  private readonly ready: SessionLease[] = [];
  private readonly waiters: Array<(lease: SessionLease | undefined) => void> = [];
  private pending = 0;
  private closed = false;
  private readonly inflight = new Set<Promise<boolean>>();

  constructor(private readonly client: LogikalClient) {}

  /**
   * Starts `n` logins in the background: one at once, the others once it succeeded, so a LogiKal
   * that is down or refuses seats costs one attempt here, not n. A failed one just means a task
   * logs in itself.
   */
  prefetch(n: number): void {
    if (n <= 0) return;
    void this.one().then((ok) => {
      if (ok) for (let i = 1; i < n; i++) void this.one();
    });
  }

  private one(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    this.pending++;
    const p: Promise<boolean> = this.client
      .acquire()
      .then(
        async (lease) => {
          await this.arrive(lease);
          return true;
        },
        async () => {
          await this.arrive(undefined);
          return false;
        },
      )
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return p;
  }

  private arrive(lease: SessionLease | undefined): Promise<void> | void {
    this.pending--;
    if (lease && this.closed) return lease.release();
    const waiter = this.waiters.shift();
    if (waiter) waiter(lease);
    else if (lease) this.ready.push(lease);
  }

  /** A logged-in session; ownership passes to the caller. */
  async lease(): Promise<SessionLease> {
    const ready = this.ready.shift();
    if (ready) return ready;
    if (this.pending > this.waiters.length) {
      const got = await new Promise<SessionLease | undefined>((resolve) => this.waiters.push(resolve));
      if (got) return got;
    }
    return this.client.acquire();
  }

  /**
   * Logs out whatever was not used; logins still in flight are logged out as they arrive, and
   * awaited, so a run (and a shutdown draining it) ends with no session of its own still open.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w(undefined);
    await Promise.all(this.ready.splice(0).map((l) => l.release()));
    await Promise.allSettled([...this.inflight]);
  }
}
