import type { Logger } from 'winston';
import type { SyncFailure } from '../../entities';
import type { LogikalClient, LogikalDirectory } from '../logikal';
import { describeFailure, missingDirectory } from './failure-reason';
import type { MirrorWriter } from './mirror-writer';
import { emptyCounters, type RunStore } from './run-store';
import { Semaphore } from '../semaphore';

/**
 * The directory tree and directory project lists. A session cannot walk back up, so each
 * directory's children are listed by a session of its own, walked down to it.
 */
export class TreeSync {
  constructor(
    private readonly client: LogikalClient,
    private readonly writer: MirrorWriter,
    private readonly runs: RunStore,
    private readonly log: Logger,
  ) {}

  async directories(runId: number): Promise<void> {
    const failures: SyncFailure[] = [];
    const limit = new Semaphore(4);
    let seen = 0;
    const visit = async (path: string | null): Promise<void> => {
      let children: LogikalDirectory[];
      try {
        children = await limit.run(() =>
          path === null
            ? this.client.withSession((s) => s.listDirectories())
            : this.client.withPath({ directory: path }, (s) => s.listDirectories()),
        );
      } catch (err) {
        // Without the root listing nothing was mirrored: the run failed, it is not partial.
        if (path === null) throw err;
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
    const work = (async () => {
      const projects = await this.client
        .withPath({ directory: directoryPath }, (s) => s.listProjects())
        .catch((err: unknown) => {
          throw missingDirectory(err, directoryPath);
        });
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
    const stopHeartbeat = this.runs.keepAlive(runId);
    try {
      await work;
      await this.runs.finish(runId, failures.length ? 'partial' : 'succeeded', message(), failures, emptyCounters());
    } catch (err) {
      this.log.warn('tree sync failed', { runId, error: err });
      await this.runs.finish(runId, 'failed', `Sync failed: ${describeFailure(err)}`, failures, emptyCounters());
    } finally {
      stopHeartbeat();
    }
  }
}
