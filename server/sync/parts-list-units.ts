import type { Logger } from 'winston';
import type { Elevation, Phase, SyncFailure } from '../../entities';
import type { LogikalClient, LogikalElevation, LogikalPath, PartsListDownload, UnitOptions } from '../logikal';
import { PartsListError, type PartsListParser } from '../parts/parts-list-parser';
import type { Semaphore } from '../semaphore';
import { changeKey, type ElevationPlan } from './elevation-plan';
import type { MirrorWriter } from './mirror-writer';
import type { Counters } from './run-store';
import { isShutdown, worthAnotherPass } from './sync-outcome';
import type { SyncMode } from './types';

/** Rounds of the final pass over transiently failed parts lists (each try may itself replay its unit). */
const FINAL_ROUNDS = 3;

/** One elevation's parts list to fetch: its phase, its mirror row, and what LogiKal listed. */
export interface PartsUnit {
  phase: Phase;
  row: Pick<Elevation, 'id'>;
  e: LogikalElevation;
}

/** What the units of one run share with it. */
export interface UnitsContext {
  client: LogikalClient;
  writer: MirrorWriter;
  parser: PartsListParser;
  parseLimit: Semaphore;
  log: Logger;
  runId: number;
  mode: SyncMode;
  directory: string;
  /** Where every session of the run comes from (its stash first). */
  sessions: UnitOptions;
  counters: Counters;
  failures: SyncFailure[];
  plan: () => ElevationPlan;
  projectLogikalId: () => string;
  stopped: () => boolean;
  fail: (what: string, err: unknown) => SyncFailure;
  flush: () => Promise<void>;
}

/** How a sideways download is checked before it counts: the file of the previous unit of the same session. */
export interface SidewaysCheck {
  previousSha256?: string;
}

/**
 * The parts-list units of a project run, whichever way their sessions are found: each download is
 * stored in one write (MirrorWriter.storePartsList) unless it is the file already parsed, and
 * counted exactly once, so that synced + unchanged + failed = listed. A failure is isolated to its
 * elevation (which keeps what an earlier sync stored); the transient ones get a final pass.
 */
export class PartsListUnits {
  /** Parts-list failures by elevation, so a final pass that succeeds can take them back. */
  private readonly failed = new Map<string, { failure: SyncFailure; unit: PartsUnit; retry: boolean }>();

  constructor(private readonly c: UnitsContext) {}

  path(unit: PartsUnit): LogikalPath {
    return {
      directory: this.c.directory,
      projectId: this.c.projectLogikalId(),
      phaseId: unit.phase.logikalId,
      elevationId: unit.e.id,
    };
  }

  /** The unit on a fresh session of its own, logged out afterwards: the strict LogiKal's way (and the fallback). */
  async fresh(unit: PartsUnit, finalPass = false): Promise<void> {
    // A unit not started by the shutdown stays undone (not failed): the resume does it.
    if (this.c.stopped()) return;
    let download: PartsListDownload;
    try {
      download = await this.c.client.withPath(this.path(unit), (s) => s.downloadPartsList(), this.c.sessions);
    } catch (err) {
      await this.failedDownload(unit, err, finalPass);
      return;
    }
    await this.store(unit, download, undefined, finalPass);
  }

  /**
   * Stores and counts one downloaded parts list. A sideways download (`check` given) that shows it
   * may not be this elevation's file — the previous unit's bytes again, or a file without this
   * elevation — is neither stored nor counted: 'suspect', the caller fetches it again on a fresh session.
   */
  async store(unit: PartsUnit, download: PartsListDownload, check?: SidewaysCheck, finalPass = false): Promise<'done' | 'suspect'> {
    const { e, phase, row } = unit;
    if (check?.previousSha256 === download.sha256) return 'suspect';
    try {
      const before = this.c.plan().stored(phase.logikalId, e);
      if (before?.partsListSha256 === download.sha256 && before.parseStatus === 'success') {
        // The bytes already parsed: only the sync time moves. A force sync reports every verified
        // download as synced (the contract Odoo knows).
        await this.c.writer.touchPartsList(row.id, changeKey(e));
        if (this.c.mode === 'force') this.c.counters.partsListsSynced++;
        else this.c.counters.partsListsUnchanged++;
      } else {
        const parsed = await this.c.parseLimit.run(() => this.c.parser.parse(download.bytes, e.name));
        await this.c.writer.storePartsList(row.id, download.bytes, download.sha256, parsed, changeKey(e));
        this.c.counters.partsListsSynced++;
      }
      if (finalPass) this.forgive(e.id);
    } catch (err) {
      if (check && err instanceof PartsListError && (err.reason === 'no_matching_elevation' || err.reason === 'ambiguous_elevation'))
        return 'suspect';
      this.downloadFailed(unit, err, finalPass);
    }
    await this.c.flush();
    return 'done';
  }

  /** A unit that got no usable download: counted failed once, kept for the final pass when a fresh session may do better. */
  async failedDownload(unit: PartsUnit, err: unknown, finalPass = false): Promise<void> {
    this.downloadFailed(unit, err, finalPass);
    await this.c.flush();
  }

  private downloadFailed(unit: PartsUnit, err: unknown, finalPass: boolean): void {
    if (this.c.stopped() || isShutdown(err) || finalPass) return;
    this.c.counters.partsListsFailed++;
    const failure = this.c.fail(unit.e.name, err);
    this.failed.set(unit.e.id, { failure, unit, retry: worthAnotherPass(err) });
  }

  /**
   * Before the run ends, the parts lists that failed transiently get further tries on fresh
   * sessions, a few rounds while any still fails that way: a LogiKal with a high rate of transient
   * faults then still delivers every file.
   */
  async finalPass(limiter: Semaphore): Promise<void> {
    for (let round = 1; round <= FINAL_ROUNDS; round++) {
      const again = [...this.failed.values()].filter((f) => f.retry);
      if (!again.length || this.c.stopped()) return;
      this.c.log.info('final pass over failed parts lists', { runId: this.c.runId, count: again.length, round });
      await Promise.allSettled(again.map((f) => limiter.run(() => this.fresh(f.unit, true))));
    }
  }

  /** A parts list the final pass got: its earlier failure no longer counts. */
  private forgive(elevationId: string): void {
    const f = this.failed.get(elevationId);
    if (!f) return;
    this.failed.delete(elevationId);
    this.c.failures.splice(this.c.failures.indexOf(f.failure), 1);
    this.c.counters.partsListsFailed--;
  }
}
