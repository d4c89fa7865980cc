import { Cron } from 'croner';
import cron from 'node-cron';
import type { App } from './bootstrap';
import type { BridgeConfig } from './config';
import { getLogger } from './logging';
import type { FiringSource } from './sync/nightly-types';
import type { NightlyService } from './sync/nightly.service';

const log = getLogger('cron');

/**
 * A firing this much before its scheduled second still stands for it (a timer or a clock a little
 * early). Never more than a quarter of the gap between two scheduled times: with "every two
 * seconds", a firing up to 1.5 s late still stands for its own time, not the next one.
 */
const EARLY_TOLERANCE_MS = 2_000;
/**
 * node-cron drops a firing whose timer ran more than its tolerance (1 s) late, as when a busy
 * event loop holds it: a nightly is still worth running that late, and its fire time says which it is.
 */
const LATE_FIRING_MS = 10 * 60_000;

/**
 * The schedule as dates. node-cron fires; it cannot tell when it fired last, so the dates come from
 * croner, read the way node-cron reads a pattern (day of month AND day of week when both are set).
 */
function pattern(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, domAndDow: true });
}

/** When the schedule fires next, strictly after `from`; null if it never does. */
export function nextRunOf(expression: string, from = new Date(), timezone = 'UTC'): Date | null {
  return pattern(expression, timezone).nextRun(from);
}

/** The latest scheduled time at or before `at`; null if there is none. */
export function previousRunOf(expression: string, at = new Date(), timezone = 'UTC'): Date | null {
  // croner's reference is exclusive, but a run earlier in the same second counts: 1 ms later makes `at` itself count.
  return pattern(expression, timezone).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

/**
 * The scheduled time a firing noticed at `firedAt` stands for: the latest scheduled time at or
 * before firedAt plus a small tolerance. Every instance gets the same one whether its timer ran a
 * few ms early or seconds late, so the firing is claimed once across instances by this time.
 */
export function fireTimeOf(expression: string, firedAt: Date, timezone = 'UTC'): Date | null {
  const previous = previousRunOf(expression, firedAt, timezone);
  const next = nextRunOf(expression, firedAt, timezone);
  if (!next) return previous;
  const tolerance = previous ? Math.min(EARLY_TOLERANCE_MS, (next.getTime() - previous.getTime()) / 4) : EARLY_TOLERANCE_MS;
  return next.getTime() - firedAt.getTime() <= tolerance ? next : previous;
}

/**
 * The firing to catch up at start-up: the latest scheduled time at or before `now`, when it is later
 * than the latest firing any instance recorded. No recorded firing at all is a fresh install: nothing to catch up.
 */
export function missedFiring(expression: string, lastFiring: Date | null, now = new Date(), timezone = 'UTC'): Date | null {
  if (!lastFiring) return null;
  const latest = previousRunOf(expression, now, timezone);
  return latest && latest > lastFiring ? latest : null;
}

/** sync.schedule's answer (the status page shows the same). */
export interface ScheduleView {
  enabled: boolean;
  cron: string | null;
  timezone: string;
  next_fire_time: string | null;
  tracked_directories: string[];
  last_firing: string | null;
  last_nightly: Awaited<ReturnType<NightlyService['lastNightly']>>;
}

/** The schedule from the configuration, with the latest firing and nightly any instance recorded. */
export async function describeSchedule(config: BridgeConfig, nightlies: NightlyService, now = new Date()): Promise<ScheduleView> {
  const [lastFiring, lastNightly] = await Promise.all([nightlies.lastFiring(), nightlies.lastNightly()]);
  const next = config.syncCron === null ? null : nextRunOf(config.syncCron, now, config.syncTimezone);
  return {
    enabled: config.syncCron !== null,
    cron: config.syncCron,
    timezone: config.syncTimezone,
    next_fire_time: next?.toISOString() ?? null,
    tracked_directories: config.trackedDirectories,
    last_firing: lastFiring?.toISOString() ?? null,
    last_nightly: lastNightly,
  };
}

/**
 * The nightly at SYNC_CRON in SYNC_TZ. Every instance fires; NightlyService.fire lets exactly one of
 * them start the firing's nightly (claimed by its fire time). At start-up, a firing missed while
 * every instance was down is caught up once. Returns a stop function.
 */
export function startScheduler(app: App): () => void {
  const { syncCron: expression, syncTimezone: timezone } = app.config;
  if (expression === null) {
    log.info('nightly sync disabled (SYNC_CRON=off): nothing scheduled');
    return () => {};
  }
  const nightlies = app.services.sync.nightlies;
  let stopped = false;

  const fire = async (fireAt: Date, source: FiringSource): Promise<void> => {
    const outcome = await nightlies.fire(fireAt, source);
    const what =
      outcome.outcome === 'taken'
        ? 'already claimed (another instance, or a catch-up)'
        : `${outcome.outcome}, run ${outcome.run_id ?? '-'}`;
    log.info(`nightly ${source} firing ${outcome.fire_at}: ${what}`);
  };

  // Every error is caught and logged here with its context; none is left to node-cron's own error path.
  const task = cron.schedule(
    expression,
    (context) => {
      if (stopped) return;
      const firedAt = new Date();
      try {
        const fireAt = fireTimeOf(expression, firedAt, timezone);
        if (!fireAt) throw new Error(`"${expression}" has no scheduled time near ${firedAt.toISOString()}`);
        // They part only around a clock change (a local time that is skipped or repeated): worth a line in the log.
        if (context.date.getTime() !== fireAt.getTime()) {
          log.warn(`node-cron fired for ${context.date.toISOString()}; the firing stands for ${fireAt.toISOString()} (${timezone})`);
        }
        fire(fireAt, 'cron').catch((err: unknown) => log.error('nightly firing failed', { error: err }));
      } catch (err) {
        log.error('nightly firing failed', { error: err });
      }
    },
    { timezone, name: 'nightly', missedExecutionTolerance: LATE_FIRING_MS },
  );

  void (async () => {
    const missed = missedFiring(expression, await nightlies.lastFiring(), new Date(), timezone);
    if (missed && !stopped) await fire(missed, 'catch-up');
  })().catch((err: unknown) => log.error('nightly catch-up failed', { error: err }));

  const next = nextRunOf(expression, new Date(), timezone);
  log.info(`nightly smart sync scheduled at "${expression}" (${timezone}); next ${next?.toISOString() ?? 'never'}`);
  return () => {
    stopped = true;
    void task.destroy();
  };
}
