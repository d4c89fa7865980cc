import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { fireTimeOf, missedFiring, nextRunOf, previousRunOf } from '../../server/scheduler';

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

/** Berlin's wall-clock time of an instant, as "YYYY-MM-DD HH:MM:SS". */
const berlin = (d: Date | null) => (d ? d.toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }) : null);

describe('the schedule as dates: next, previous and the fire time of a firing', () => {
  it('a 5-field cron in UTC: next is strictly after, previous is at or before', () => {
    const daily = '0 2 * * *';
    assert.equal(iso(nextRunOf(daily, at('2026-03-10T12:00:00Z'))), '2026-03-11T02:00:00.000Z');
    assert.equal(iso(previousRunOf(daily, at('2026-03-10T12:00:00Z'))), '2026-03-10T02:00:00.000Z');
    assert.equal(iso(nextRunOf(daily, at('2026-03-10T02:00:00Z'))), '2026-03-11T02:00:00.000Z', 'a scheduled instant is not its own next');
    assert.equal(iso(previousRunOf(daily, at('2026-03-10T02:00:00Z'))), '2026-03-10T02:00:00.000Z', 'but is its own previous');
    assert.equal(iso(previousRunOf(daily, at('2026-03-10T01:59:59.999Z'))), '2026-03-09T02:00:00.000Z');
    assert.equal(iso(nextRunOf('0 3 * * 1-5', at('2026-03-13T04:00:00Z'))), '2026-03-16T03:00:00.000Z', 'Friday → Monday');
    assert.equal(iso(previousRunOf('0 3 * * 1-5', at('2026-03-16T02:00:00Z'))), '2026-03-13T03:00:00.000Z', 'Monday → Friday');
  });

  it('a 6-field cron counts seconds', () => {
    const quarter = '*/15 * * * * *';
    assert.equal(iso(previousRunOf(quarter, at('2026-03-10T12:00:07.500Z'))), '2026-03-10T12:00:00.000Z');
    assert.equal(iso(nextRunOf(quarter, at('2026-03-10T12:00:07.500Z'))), '2026-03-10T12:00:15.000Z');
    assert.equal(iso(previousRunOf('30 0 2 * * *', at('2026-03-10T02:00:29Z'))), '2026-03-09T02:00:30.000Z');
    assert.equal(iso(nextRunOf('30 0 2 * * *', at('2026-03-10T02:00:29Z'))), '2026-03-10T02:00:30.000Z');
  });

  it('day of month AND day of week when both are set, as node-cron fires them', () => {
    // The first Monday of the month: Vixie cron would read this as "the 1st to 7th, and every Monday".
    const firstMonday = '0 2 1-7 * 1';
    assert.equal(iso(nextRunOf(firstMonday, at('2026-03-10T00:00:00Z'))), '2026-04-06T02:00:00.000Z');
    assert.equal(iso(previousRunOf(firstMonday, at('2026-03-10T00:00:00Z'))), '2026-03-02T02:00:00.000Z');
    const task = cron.createTask(firstMonday, () => undefined, { timezone: 'UTC' });
    try {
      assert.ok(task.match(at('2026-04-06T02:00:00Z')) && !task.match(at('2026-03-09T02:00:00Z')), 'node-cron agrees');
    } finally {
      void task.destroy();
    }
  });

  it('in a time zone with summer time: the same wall-clock time, 23 or 25 hours apart across the changes', () => {
    const tz = 'Europe/Berlin';
    const daily = '30 4 * * *';
    // Winter (UTC+1), summer (UTC+2).
    assert.equal(iso(nextRunOf(daily, at('2026-01-15T12:00:00Z'), tz)), '2026-01-16T03:30:00.000Z');
    assert.equal(iso(nextRunOf(daily, at('2026-07-15T12:00:00Z'), tz)), '2026-07-16T02:30:00.000Z');
    // Clocks go forward on 29 March 2026 and back on 25 October 2026.
    const spring = [previousRunOf(daily, at('2026-03-28T12:00:00Z'), tz)!, nextRunOf(daily, at('2026-03-28T12:00:00Z'), tz)!];
    assert.deepEqual(spring.map(iso), ['2026-03-28T03:30:00.000Z', '2026-03-29T02:30:00.000Z']);
    assert.equal(spring[1].getTime() - spring[0].getTime(), 23 * 3600_000);
    const autumn = [previousRunOf(daily, at('2026-10-24T12:00:00Z'), tz)!, nextRunOf(daily, at('2026-10-24T12:00:00Z'), tz)!];
    assert.deepEqual(autumn.map(iso), ['2026-10-24T02:30:00.000Z', '2026-10-25T03:30:00.000Z']);
    assert.equal(autumn[1].getTime() - autumn[0].getTime(), 25 * 3600_000);
    for (const d of [...spring, ...autumn]) assert.match(berlin(d)!, / 04:30:00$/);
    // The same cron read in UTC is another schedule.
    assert.equal(iso(nextRunOf(daily, at('2026-07-15T12:00:00Z'))), '2026-07-16T04:30:00.000Z');
  });

  it('a firing stands for the same scheduled time whether its timer ran early or late', () => {
    const tz = 'Europe/Berlin';
    const daily = '0 2 * * *';
    const slot = at('2026-07-16T00:00:00Z'); // 02:00 in Berlin
    for (const jitter of [0, 3, 999, 1500, 59_000, 3_600_000, -5, -999, -1500]) {
      assert.equal(iso(fireTimeOf(daily, plus(slot, jitter), tz)), iso(slot), `${jitter} ms`);
    }
    assert.equal(iso(fireTimeOf(daily, plus(slot, -3000), tz)), '2026-07-15T00:00:00.000Z', 'seconds early is the day before');

    // Every two seconds: the tolerance shrinks with the gap, so neighbouring firings never share a time.
    const often = '*/2 * * * * *';
    const s = at('2026-07-16T00:00:10Z');
    for (const jitter of [0, 4, 700, 1400, -4, -400]) assert.equal(iso(fireTimeOf(often, plus(s, jitter), tz)), iso(s), `${jitter} ms`);
    assert.equal(iso(fireTimeOf(often, plus(s, -700), tz)), '2026-07-16T00:00:08.000Z');
    assert.equal(iso(fireTimeOf('* * * * * *', at('2026-07-16T00:00:10.600Z'))), '2026-07-16T00:00:10.000Z');
  });

  it('catch-up: only the latest scheduled time, only when it is later than the last recorded firing', () => {
    const daily = '0 2 * * *';
    const now = at('2026-03-10T12:00:00Z');
    assert.equal(missedFiring(daily, null, now), null, 'no recorded firing: a fresh install catches nothing up');
    assert.equal(iso(missedFiring(daily, at('2026-03-07T02:00:00Z'), now)), '2026-03-10T02:00:00.000Z', 'three missed: one catch-up');
    assert.equal(missedFiring(daily, at('2026-03-10T02:00:00Z'), now), null, 'the latest firing happened');
    assert.equal(missedFiring(daily, at('2026-03-09T02:00:00Z'), at('2026-03-10T01:59:00Z')), null, "today's is still to come");
    assert.equal(iso(missedFiring(daily, at('2026-03-09T02:00:00Z'), now, 'Europe/Berlin')), '2026-03-10T01:00:00.000Z');
  });
});
