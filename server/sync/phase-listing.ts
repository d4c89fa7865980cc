import type { LogikalElevation, LogikalPhase, LogikalProject, LogikalSession } from '../logikal';
import { NotFoundError, UserError } from '../errors';
import { isGuid } from '../guid';
import { worthAnotherPass } from './sync-outcome';
import { ThumbnailJobs } from './thumbnail-jobs';

/** The project a run is for, among a directory's: by GUID, or by name (names are unique only there, and not always). */
export function pickProject(projects: LogikalProject[], ref: string, directory: string): LogikalProject {
  const byGuid = isGuid(ref);
  const matches = projects.filter((p) => (byGuid ? p.id.toLowerCase() === ref.toLowerCase() : p.name === ref));
  if (matches.length === 0) throw new NotFoundError(`Project "${ref}" not found in Logikal directory "${directory}"`);
  if (matches.length > 1)
    throw new UserError(`${matches.length} projects are named "${ref}" in "${directory}"; pass the project GUID instead`);
  return matches[0];
}

/** A phase's elevations as LogiKal listed them, with the thumbnails the run fetched (or why not). */
export interface PhaseListing {
  phase: LogikalPhase;
  elevations: LogikalElevation[];
  thumbnails: Map<string, Buffer>;
  thumbnailErrors: Map<string, unknown>;
}

/**
 * In phase state (selected here when `selectFirst`): the elevation list and the thumbnails the run
 * wants (no elevation select needed). As soon as the elevations are listed, `onElevations` is told
 * how many there are, with the thumbnails still to fetch: other sessions of the run standing in the
 * phase may fetch some of them meanwhile (see ThumbnailJobs). A thumbnail that fails is noted, the
 * others go on; a lost session would fail every further one, so it fails the listing (replayed on
 * a fresh session).
 */
export async function listPhase(
  s: LogikalSession,
  ph: LogikalPhase,
  opts: {
    selectFirst: boolean;
    wantsThumbnail: (e: LogikalElevation) => boolean;
    stopped: () => boolean;
    onElevations?: (count: number, thumbnails: ThumbnailJobs) => void;
  },
): Promise<PhaseListing> {
  if (opts.selectFirst) await s.selectPhase(ph.id);
  const elevations = await s.listElevations();
  const jobs = new ThumbnailJobs(
    elevations.filter((e) => opts.wantsThumbnail(e)),
    opts.stopped,
  );
  opts.onElevations?.(elevations.length, jobs);
  try {
    await jobs.finish(s);
  } catch (err) {
    jobs.abandon();
    throw err;
  }
  return { phase: ph, elevations, thumbnails: jobs.thumbnails, thumbnailErrors: jobs.errors };
}

/** Further tries of a listing that failed transiently (each may itself replay its unit on fresh sessions). */
const LISTING_ROUNDS = 2;

/** Runs `list` again while it fails transiently, a few rounds, unless the run is stopping. */
export async function againWhileTransient<T>(list: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (let round = 0; ; round++) {
    try {
      return await list();
    } catch (err) {
      if (round >= LISTING_ROUNDS || stopped() || !worthAnotherPass(err)) throw err;
    }
  }
}
