import type { Logger } from 'winston';
import type { SyncFailure } from '../../entities';
import type { MirrorLookups } from '../db/mirror-lookups';
import { LogikalProtocolError, type LogikalClient, type LogikalDirectory, type LogikalProject } from '../logikal';
import { describeFailure, missingDirectory } from './failure-reason';
import type { MirrorWriter } from './mirror-writer';
import { emptyCounters, type RunStore } from './run-store';
import { Semaphore } from '../semaphore';
import { isShutdown } from './sync-outcome';

/**
 * The directory tree and directory project lists. A session cannot walk back up, so each
 * directory's children are listed by a session of its own, walked down to it. An empty listing of
 * a parent whose children the mirror holds is confirmed on a fresh session before they are retired.
 */
export class TreeSync {
  private stopped = false;

  constructor(
    private readonly client: LogikalClient,
    private readonly writer: MirrorWriter,
    private readonly lookups: MirrorLookups,
    private readonly runs: RunStore,
    private readonly log: Logger,
  ) {}

  /** Shutdown: no further directory is listed; the run ends interrupted. */
  stop(): void {
    this.stopped = true;
  }

  async directories(runId: number): Promise<void> {
    const failures: SyncFailure[] = [];
    const limit = new Semaphore(4);
    let seen = 0;
    const list = (path: string | null): Promise<LogikalDirectory[]> =>
      limit.run(() =>
        path === null
          ? this.client.withSession((s) => s.listDirectories())
          : this.client.withPath({ directory: path }, (s) => s.listDirectories()),
      );
    const visit = async (path: string | null): Promise<void> => {
      if (this.stopped) return;
      let children: LogikalDirectory[];
      try {
        children = await list(path);
        if (!children.length && (await this.lookups.activeChildren({ directoriesUnder: path }))) {
          const again = await list(path);
          if (again.length) throw new LogikalProtocolError(`Logikal listed no sub-directories, then ${again.length}: nothing was retired`);
        }
      } catch (err) {
        // Without the root listing nothing was mirrored: the run failed, it is not partial.
        if (path === null || isShutdown(err)) throw err;
        failures.push({ elevation: `directory "${path}"`, reason: describeFailure(err) });
        return;
      }
      for (const c of children) await this.writer.directory(c.path || c.name, c.name);
      seen += children.length;
      // Complete listing of this parent: what it no longer has is marked gone.
      await this.writer.retireDirectories(
        path,
        children.map((c) => c.path || c.name),
      );
      await Promise.all(children.map((c) => visit(c.path || c.name)));
    };
    await this.finish(runId, visit(null), failures, () => `${seen} directories mirrored`);
  }

  async projects(runId: number, directoryPath: string): Promise<void> {
    const failures: SyncFailure[] = [];
    let count = 0;
    const list = (): Promise<LogikalProject[]> =>
      this.client
        .withPath({ directory: directoryPath }, (s) => s.listProjects())
        .catch((err: unknown) => {
          throw missingDirectory(err, directoryPath);
        });
    const work = (async () => {
      const projects = await list();
      const stored = await this.lookups.directory(directoryPath);
      if (!projects.length && stored && (await this.lookups.activeChildren({ projectsIn: stored.id }))) {
        const again = await list();
        if (again.length) throw new LogikalProtocolError(`Logikal listed no projects, then ${again.length}: nothing was retired`);
      }
      const dirId = await this.writer.directory(directoryPath);
      for (const p of projects) await this.writer.project(p, dirId);
      await this.writer.retireProjects(
        dirId,
        projects.map((p) => p.id),
      );
      count = projects.length;
    })();
    await this.finish(runId, work, failures, () => `${count} projects mirrored from "${directoryPath}"`);
  }

  private async finish(runId: number, work: Promise<void>, failures: SyncFailure[], message: () => string): Promise<void> {
    try {
      await work;
      if (this.stopped)
        return await this.runs.interrupt(runId, 'Interrupted: the bridge shut down; the next sync of it redoes it', failures);
      await this.runs.finish(runId, failures.length ? 'partial' : 'succeeded', message(), failures, emptyCounters());
    } catch (err) {
      if (this.stopped || isShutdown(err))
        return this.runs.interrupt(runId, 'Interrupted: the bridge shut down; the next sync of it redoes it', failures);
      this.log.warn('tree sync failed', { runId, error: err });
      await this.runs.finish(runId, 'failed', `Sync failed: ${describeFailure(err)}`, failures, emptyCounters());
    }
  }
}
