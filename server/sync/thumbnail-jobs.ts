import type { LogikalElevation, LogikalSession } from '../logikal';
import { LogikalSessionLostError } from '../logikal';
import { isShutdown } from './sync-outcome';

/**
 * The thumbnails of a phase being listed. Its lister fetches them ({@link finish}), and so may any
 * other session of the run that stands in the phase meanwhile, waiting to download the phase's
 * parts lists ({@link help}). A thumbnail that fails is noted and the others go on; a session that
 * is lost (or a shutdown) puts the thumbnail it was fetching back and gives up.
 */
export class ThumbnailJobs {
  readonly thumbnails = new Map<string, Buffer>();
  readonly errors = new Map<string, unknown>();
  private readonly todo: LogikalElevation[];
  private active = 0;
  private abandoned = false;
  /** Wakes the lister while it waits for thumbnails other sessions are fetching. */
  private changed: (() => void) | undefined;

  constructor(
    elevations: LogikalElevation[],
    private readonly stopped: () => boolean,
  ) {
    this.todo = [...elevations];
  }

  /** Thumbnails nobody has taken yet. */
  get open(): boolean {
    return this.todo.length > 0 && !this.abandoned && !this.stopped();
  }

  /** Fetches thumbnails on `s`, which stands in the phase, while any is left. Throws when `s` is lost. */
  async help(s: LogikalSession): Promise<void> {
    while (this.open) {
      const e = this.todo.shift()!;
      this.active++;
      try {
        this.thumbnails.set(e.id, await s.getThumbnail(e.id));
      } catch (err) {
        if (err instanceof LogikalSessionLostError || isShutdown(err)) {
          this.todo.unshift(e);
          throw err;
        }
        this.errors.set(e.id, err);
      } finally {
        this.active--;
        this.wake();
      }
    }
  }

  /** The lister's part: helps until every thumbnail is fetched or failed, those other sessions took too. */
  async finish(s: LogikalSession): Promise<void> {
    for (;;) {
      await this.help(s);
      if (!this.active && !this.open) return;
      await new Promise<void>((resolve) => (this.changed = resolve));
    }
  }

  /** The listing failed (it is replayed with jobs of its own): nobody fetches these any more. */
  abandon(): void {
    this.abandoned = true;
    this.wake();
  }

  private wake(): void {
    const changed = this.changed;
    this.changed = undefined;
    changed?.();
  }
}
