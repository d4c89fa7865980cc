import type { Logger } from 'winston';
import type { Elevation, Phase, SyncFailure } from '../../entities';
import type { LogikalClient, LogikalElevation, LogikalPath, PartsListDownload, UnitOptions } from '../logikal';
import { PartsListError, type ParsedPartsList, type PartsListParser } from '../parts/parts-list-parser';
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

/** A store under way: its verdict, and its database write still going (see PartsListUnits.begin). */
export interface StoreStarted {
  verdict: 'done' | 'suspect';
  /** Settles once the write is done and counted (or counted failed); never rejects. */
  written: Promise<void>;
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
    const { verdict, written } = await this.begin(unit, download, check, finalPass);
    await written;
    return verdict;
  }

  /**
   * The same, handing back as soon as the verdict is known, while the database write (and the
   * counting) goes on: the session that downloaded the file can select and download the next
   * one meanwhile. The verdict waits for nothing but the sideways checks: the hash, and for a
   * file that is new, the parse (does it hold this elevation?). `written` never rejects.
   */
  async begin(unit: PartsUnit, download: PartsListDownload, check?: SidewaysCheck, finalPass = false): Promise<StoreStarted> {
    const { e, phase, row } = unit;
    if (check?.previousSha256 === download.sha256) return { verdict: 'suspect', written: Promise.resolve() };
    const before = this.c.plan().stored(phase.logikalId, e);
    if (before?.partsListSha256 === download.sha256 && before.parseStatus === 'success') {
      // The bytes already parsed: only the sync time moves. A force sync reports every verified
      // download as synced (the contract Odoo knows).
      return {
        verdict: 'done',
        written: this.settle(unit, finalPass, async () => {
          await this.c.writer.touchPartsList(row.id, changeKey(e));
          if (this.c.mode === 'force') this.c.counters.partsListsSynced++;
          else this.c.counters.partsListsUnchanged++;
        }),
      };
    }
    const parsing = this.c.parseLimit.run(() => this.c.parser.parse(download.bytes, e.name));
    const write = async (parsed: ParsedPartsList): Promise<void> => {
      await this.c.writer.storePartsList(row.id, download.bytes, download.sha256, parsed, changeKey(e));
      this.c.counters.partsListsSynced++;
    };
    if (!check) return { verdict: 'done', written: this.settle(unit, finalPass, async () => write(await parsing)) };
    let parsed: ParsedPartsList;
    try {
      parsed = await parsing;
    } catch (err) {
      if (err instanceof PartsListError && (err.reason === 'no_matching_elevation' || err.reason === 'ambiguous_elevation'))
        return { verdict: 'suspect', written: Promise.resolve() };
      return { verdict: 'done', written: this.settle(unit, finalPass, () => Promise.reject(err)) };
    }
    return { verdict: 'done', written: this.settle(unit, finalPass, () => write(parsed)) };
  }

  /** Runs a unit's write and counts its outcome exactly once; then the run's progress. Never rejects. */
  private async settle(unit: PartsUnit, finalPass: boolean, write: () => Promise<void>): Promise<void> {
    try {
      await write();
      if (finalPass) this.forgive(unit.e.id);
    } catch (err) {
      this.downloadFailed(unit, err, finalPass);
    }
    await this.c.flush();
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
