import { SingleBar, Presets } from 'cli-progress';
import type { BridgeConfig } from '../config';
import { buildServices } from '../bootstrap';
import type { SyncMode } from '../sync/types';

/** `logikal-bridge sync <project> --directory <path>`: one sync in this process, result as JSON on stdout. */
export async function runSyncCommand(
  c: BridgeConfig,
  project: string,
  opts: { directory: string; smart?: boolean; concurrency?: string },
): Promise<number> {
  const { services, db } = await buildServices(c);
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'parts lists {bar} {value}/{total} | {duration}s', stream: process.stderr }, Presets.shades_classic)
    : null;
  let started = false;
  try {
    const mode: SyncMode = opts.smart ? 'smart' : 'force';
    const result = await services.sync.syncProject(
      mode,
      {
        projectId: project,
        directoryId: opts.directory,
        waitSeconds: 24 * 3600,
        concurrency: opts.concurrency ? Number(opts.concurrency) : undefined,
        requestedBy: 'cli',
      },
      (p) => {
        if (!bar) return;
        if (!started && p.total > 0) {
          bar.start(p.total, p.done);
          started = true;
        } else if (started) {
          bar.setTotal(p.total);
          bar.update(p.done);
        }
      },
    );
    bar?.stop();
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return result.success ? 0 : 1;
  } finally {
    bar?.stop();
    // This process claims no more runs, lets those it runs end, then gives its licence seats back.
    services.sync.stopClaiming();
    await services.sync.drain();
    await services.sync.close();
    await db.close();
  }
}
