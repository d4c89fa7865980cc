import type { SyncFailure, SyncRun } from '../../entities';
import { emptyCounters, type Counters, type RunExtras, type RunStore } from './run-store';

/** Queues a child smart sync of a project (or joins the sync of it already running). */
export type ChildQueue = (
  project: { logikalId: string; directoryPath: string },
  extras: RunExtras,
) => Promise<{ run: SyncRun; created: boolean }>;

interface NightlyProject {
  logikalId: string;
  name: string;
  directoryPath: string;
}

/** A project is tried this often in one nightly: the first time and two retries. */
export const NIGHTLY_ATTEMPTS = 3;

interface Entry {
  project: NightlyProject;
  runId: number;
  attempt: number;
  run: SyncRun | null;
  retryAt: number | null;
}

const COUNTERS = Object.keys(emptyCounters()) as Array<keyof Counters>;

/**
 * The child runs of one nightly: one per project, the latest try of each watched; a failed one is
 * retried after NIGHTLY_RETRY_SECONDS, doubled per try (an interrupted one at once), and never
 * holds up the others.
 */
export class NightlyChildren {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly runs: RunStore,
    private readonly parentRunId: number,
    private readonly queue: ChildQueue,
    private readonly retryBaseMs: number,
  ) {}

  /** A child for every project, unless this nightly already has one (a takeover of a dead instance's nightly). */
  async queueAll(projects: NightlyProject[]): Promise<void> {
    const existing = await this.runs.children(this.parentRunId);
    for (const project of projects) {
      const last = existing.filter((c) => c.projectRef === project.logikalId).at(-1);
      if (last) {
        this.entries.set(project.logikalId, { project, runId: last.id, attempt: last.attempt, run: last, retryAt: null });
        continue;
      }
      const { run } = await this.queue(project, { parentRunId: this.parentRunId, attempt: 1 });
      this.entries.set(project.logikalId, { project, runId: run.id, attempt: 1, run, retryAt: null });
    }
  }

  /** Reads the children, queues the retries that are due; true while any project is not finished. */
  async advance(now = Date.now()): Promise<boolean> {
    const rows = new Map((await this.runs.children(this.parentRunId)).map((c) => [c.id, c]));
    let pending = false;
    for (const e of this.entries.values()) {
      // A joined run (the project was being synced already) is no child: read it by id.
      const run = rows.get(e.runId) ?? (await this.runs.get(e.runId));
      e.run = run;
      // A running child whose instance died stays pending: a live instance takes it over.
      if (!run || run.state === 'succeeded' || e.attempt >= NIGHTLY_ATTEMPTS) {
        if (run && (run.state === 'queued' || run.state === 'running')) pending = true;
        continue;
      }
      pending = true;
      if (run.state === 'queued' || run.state === 'running') continue;
      const delay = run.state === 'interrupted' ? 0 : this.retryBaseMs * 2 ** (e.attempt - 1);
      e.retryAt ??= (run.finishedAt?.getTime() ?? now) + delay;
      if (now < e.retryAt) continue;
      const next = await this.queue(e.project, { parentRunId: this.parentRunId, attempt: e.attempt + 1 });
      Object.assign(e, { runId: next.run.id, attempt: e.attempt + 1, run: next.run, retryAt: null });
    }
    return pending;
  }

  /** Projects synced and failed (latest tries), their counters summed, and why each failed one failed. */
  summary(): { total: number; synced: number; failed: number; counters: Counters; failures: SyncFailure[] } {
    const counters = emptyCounters();
    const failures: SyncFailure[] = [];
    let synced = 0;
    for (const { project, run } of this.entries.values()) {
      if (!run) continue;
      for (const k of COUNTERS) counters[k] += run[k];
      if (run.state === 'succeeded') synced++;
      else if (run.state !== 'queued' && run.state !== 'running')
        failures.push({ elevation: `project ${project.name}`, reason: run.message ?? run.state });
    }
    return { total: this.entries.size, synced, failed: failures.length, counters, failures };
  }
}
