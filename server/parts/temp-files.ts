import { promises as fs } from 'node:fs';
import path from 'node:path';
import { getLogger } from '../logging';

const log = getLogger('parts');

/**
 * Where parts lists are parsed: each parse copies its download into a directory of its own under
 * DATA_DIR/tmp and removes it when done. A process killed mid-parse leaves its directory behind;
 * the next start sweeps such leftovers away ({@link sweepPartsTempDir}).
 */
export function partsTempDir(dataDir: string): string {
  return path.join(dataDir, 'tmp');
}

/** The name mkdtemp completes with six characters: the owner's pid tells a leftover from a live parse. */
export function partsTempPrefix(pid = process.pid): string {
  return `parts-${pid}-`;
}

/** Our directories only: `parts-<pid>-XXXXXX`, or `parts-XXXXXX` from bridges before the pid was in the name. */
const PARTS_TEMP_DIR = /^parts-(?:(\d+)-)?[A-Za-z0-9]{6}$/;

/**
 * Removes what dead processes left in the parts temp directory: directories named like ours whose
 * process is gone, or is this one (which has parsed nothing yet: call this before any sync starts;
 * in a container every start may be pid 1). A directory of another live process (a `logikal-bridge
 * sync` beside the server) is left alone; so is anything not named like ours. DATA_DIR is one
 * instance's: instances never share it.
 */
export async function sweepPartsTempDir(tempDir: string): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir(tempDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const m = PARTS_TEMP_DIR.exec(name);
    if (!m) continue;
    const pid = m[1] === undefined ? undefined : Number(m[1]);
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) continue;
    const full = path.join(tempDir, name);
    if (!(await fs.lstat(full)).isDirectory()) continue;
    await fs.rm(full, { recursive: true, force: true });
    removed++;
  }
  if (removed)
    log.warn(`removed ${removed} parts-list temp director${removed === 1 ? 'y' : 'ies'} left by a process that stopped mid-parse`);
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
