import { EventEmitter } from 'node:events';
import { LogikalSeat } from '../../entities';
import type { Seat, SeatBudget } from '../logikal/seat-budget';
import { getLogger } from '../logging';
import type { Db } from './db';

const log = getLogger('logikal');

/** How long a seat stays taken without a renewal: its process renews every third of it. */
export const SEAT_LEASE_MS = 30_000;
/** The advisory lock every grant decision holds, so two instances never hand out the same free seat. */
const GRANT_LOCK_KEY = 0x4c4b5354; // "LKST"
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;
/** Every release is announced here, so waiters in other instances try again at once instead of at their next poll. */
const RELEASED_CHANNEL = 'logikal_seat_released';

interface PgClient {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: () => void): void;
  removeAllListeners(event: string): void;
}

const sleep = (ms: number, wake: EventEmitter): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      wake.off('released', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    wake.once('released', done);
  });

/**
 * LOGIKAL_MAX_SESSIONS shared by every instance on one PostgreSQL: a seat is a row of
 * logikal_seats, asked for as `waiting` and turned `held` when fewer than the budget are held and
 * no earlier waiter is still ahead of it (ids are the queue). Rows carry a lease this process
 * renews; a dead process's rows run out and are dropped by the next grant.
 */
export class DbSeatBudget implements SeatBudget {
  private readonly wake = new EventEmitter();
  private readonly timer: NodeJS.Timeout;
  private listening: Promise<(() => void) | null> | null = null;

  constructor(
    private readonly db: Db,
    private readonly holder: { instance: string; boot: string },
    private readonly total: number,
    /** The sync run the calling code works for (async context), shown on its waiting row. */
    private readonly runIdOf: () => number | null = () => null,
  ) {
    this.wake.setMaxListeners(0);
    this.timer = setInterval(() => void this.renew(), SEAT_LEASE_MS / 3);
    this.timer.unref();
  }

  async take(stopped: () => Error | undefined): Promise<Seat> {
    this.listening ??= this.listen();
    const row = await this.db.write((m) =>
      m.getRepository(LogikalSeat).save({
        state: 'waiting' as const,
        holderInstance: this.holder.instance,
        holderBoot: this.holder.boot,
        runId: this.runIdOf(),
        requestedAt: new Date(),
        leaseExpiresAt: this.leaseEnd(),
      }),
    );
    try {
      for (let wait = POLL_MIN_MS; ; wait = Math.min(wait * 2, POLL_MAX_MS)) {
        const err = stopped();
        if (err) throw err;
        if (await this.grant(row.id)) return this.seat(row.id);
        await sleep(wait, this.wake);
      }
    } catch (err) {
      await this.drop(row.id);
      throw err;
    }
  }

  /** Every row of this process goes (shutdown, after its sessions were logged out). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    (await this.listening)?.();
    this.listening = null;
    await this.db
      .write((m) => m.getRepository(LogikalSeat).delete({ holderBoot: this.holder.boot }))
      .catch((err: unknown) => log.warn('could not give the licence seats back', { error: err }));
  }

  /** At start-up: what an earlier start of this instance held is gone with it. */
  async forgetEarlierBoots(): Promise<void> {
    await this.db.write((m) =>
      m
        .createQueryBuilder()
        .delete()
        .from(LogikalSeat)
        .where('holder_instance = :i AND holder_boot <> :b', { i: this.holder.instance, b: this.holder.boot })
        .execute(),
    );
  }

  private grant(id: number): Promise<boolean> {
    return this.db.write(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [GRANT_LOCK_KEY]);
      const now = new Date();
      await m.query('DELETE FROM logikal_seats WHERE lease_expires_at < $1', [now]);
      const [c] = await m.query<Array<{ held: string; ahead: string }>>(
        `SELECT COUNT(*) FILTER (WHERE state = 'held') AS held,
                COUNT(*) FILTER (WHERE state = 'waiting' AND id < $1) AS ahead
           FROM logikal_seats`,
        [id],
      );
      // Seats free beyond those the earlier waiters will take: first come, first served.
      if (Number(c.held) + Number(c.ahead) >= this.total) return false;
      const res = await m
        .createQueryBuilder()
        .update(LogikalSeat)
        .set({ state: 'held', leaseExpiresAt: this.leaseEnd() })
        .where('id = :id AND state = :waiting', { id, waiting: 'waiting' })
        .execute();
      return (res.affected ?? 0) > 0;
    });
  }

  private seat(id: number): Seat {
    let released: Promise<void> | undefined;
    return { release: () => (released ??= this.drop(id)) };
  }

  /** One connection of the pool kept for LISTEN; without it (it failed) waiters still poll. */
  private async listen(): Promise<(() => void) | null> {
    try {
      const driver = this.db.dataSource.driver as unknown as { obtainMasterConnection(): Promise<[PgClient, () => void]> };
      const [client, release] = await driver.obtainMasterConnection();
      client.on('notification', () => this.wake.emit('released'));
      await client.query(`LISTEN ${RELEASED_CHANNEL}`);
      return () => {
        client.removeAllListeners('notification');
        void client.query(`UNLISTEN ${RELEASED_CHANNEL}`).finally(() => release());
      };
    } catch (err) {
      log.warn('could not listen for released licence seats; waiters poll', { error: err });
      return null;
    }
  }

  private async drop(id: number): Promise<void> {
    await this.db
      .write(async (m) => {
        await m.getRepository(LogikalSeat).delete({ id });
        await m.query(`SELECT pg_notify('${RELEASED_CHANNEL}', '')`);
      })
      .catch((err: unknown) => log.warn('could not give a licence seat back (its lease runs out)', { error: err }));
    this.wake.emit('released');
  }

  private async renew(): Promise<void> {
    await this.db
      .write((m) => m.getRepository(LogikalSeat).update({ holderBoot: this.holder.boot }, { leaseExpiresAt: this.leaseEnd() }))
      .catch((err: unknown) => log.warn('licence seat lease renewal failed', { error: err }));
  }

  private leaseEnd(): Date {
    return new Date(Date.now() + SEAT_LEASE_MS);
  }
}
