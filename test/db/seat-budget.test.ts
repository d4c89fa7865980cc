import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configFor, createTestDatabase, dialect, type TestDatabase } from '../helpers/test-env';
import { openDatabase, migrate } from '../../server/db/database';
import type { Db } from '../../server/db/db';
import { DbSeatBudget } from '../../server/db/db-seat-budget';
import { LogikalSeat } from '../../entities';
import type { Seat } from '../../server/logikal';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const never = (): undefined => undefined;

// Two connections to one database stand for two bridge processes: each has its own pool and boot.
describe(
  'the LogiKal licence budget shared through PostgreSQL',
  { skip: dialect !== 'postgres' && 'the embedded SQLite store is single-instance' },
  () => {
    let td: TestDatabase;
    let dbs: Db[] = [];
    before(async () => {
      td = await createTestDatabase();
      const first = await openDatabase(configFor(td));
      await migrate(first);
      dbs = [first, await openDatabase(configFor(td))];
    });
    after(async () => {
      for (const db of dbs) await db.close();
      await td.drop();
    });

    it('two processes together never hold more than the budget, and every seat comes back', async () => {
      const budgets = dbs.map((db, i) => new DbSeatBudget(db, { instance: `node-${i}`, boot: `boot-${i}` }, 3));
      let held = 0;
      let peak = 0;
      const use = async (b: DbSeatBudget, ms: number): Promise<void> => {
        const seat = await b.take(never);
        peak = Math.max(peak, ++held);
        await sleep(ms);
        held--;
        await seat.release();
      };
      await Promise.all(Array.from({ length: 16 }, (_, i) => use(budgets[i % 2], 20 + ((i * 37) % 60))));
      assert.equal(peak, 3, 'the budget is used to the full and never exceeded');
      assert.equal(await dbs[0].reader.getRepository(LogikalSeat).count(), 0, 'no row left behind');
      for (const b of budgets) await b.close();
    });

    it('waiters are served in the order they asked, across processes', async () => {
      const [a, b] = dbs.map((db, i) => new DbSeatBudget(db, { instance: `fifo-${i}`, boot: `fifo-boot-${i}` }, 1));
      const blocker = await a.take(never);
      const order: string[] = [];
      const waiters: Array<Promise<void>> = [];
      for (const [name, budget] of [
        ['b1', b],
        ['a1', a],
        ['b2', b],
        ['a2', a],
      ] as const) {
        waiters.push(
          budget.take(never).then(async (seat: Seat) => {
            order.push(name);
            await sleep(10);
            await seat.release();
          }),
        );
        await sleep(40); // each waiter's row is in before the next asks
      }
      await blocker.release();
      await Promise.all(waiters);
      assert.deepEqual(order, ['b1', 'a1', 'b2', 'a2']);
      await a.close();
      await b.close();
    });

    it("a dead process's seats come free when their lease runs out; a stopped wait leaves nothing behind", async (t) => {
      const live = new DbSeatBudget(dbs[0], { instance: 'live', boot: 'live-boot' }, 1);
      t.after(() => live.close());
      const deadUntil = Date.now() + 300;
      await dbs[1].write((m) =>
        m.getRepository(LogikalSeat).save({
          state: 'held',
          holderInstance: 'dead',
          holderBoot: 'dead-boot',
          runId: null,
          requestedAt: new Date(Date.now() - 60_000),
          leaseExpiresAt: new Date(deadUntil),
        }),
      );
      const stop = new Error('shutting down');
      let stopped = false;
      const refused = live.take(() => (stopped ? stop : undefined));
      await sleep(100);
      stopped = true;
      await assert.rejects(refused, /shutting down/);
      assert.equal(await dbs[0].reader.getRepository(LogikalSeat).countBy({ holderBoot: 'live-boot' }), 0, 'the stopped wait left no row');

      const seat = await live.take(never);
      assert.ok(Date.now() >= deadUntil, 'granted only once the dead seat expired');
      assert.equal(await dbs[0].reader.getRepository(LogikalSeat).countBy({ holderBoot: 'dead-boot' }), 0, 'the expired row is gone');
      await seat.release();
    });
  },
);
