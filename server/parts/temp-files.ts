import { promises as fs } from 'node:fs';
import path from 'node:path';
import { getLogger } from '../logging';

const log = getLogger('parts');

/**
 * Where parts lists are parsed: each parse copies its download into its parser's directory under
 * DATA_DIR/tmp ({@link PrivateCopies}) and removes the copy when done. A process that stops leaves
 * its directory behind (empty, or with the copy a kill interrupted); the next start sweeps such
 * leftovers away ({@link sweepPartsTempDir}).
 */
export function partsTempDir(dataDir: string): string {
  return path.join(dataDir, 'tmp');
}

/** The name mkdtemp completes with six characters: the owner's pid tells a leftover from a live parse. */
export function partsTempPrefix(pid = process.pid): string {
  return `parts-${pid}-`;
}

/**
 * The private copies SQLite reads parts lists from: a file each, in one directory per parser made
 * once (0700, named like {@link partsTempPrefix} so that a start-up sweep removes it when the process
 * died); a directory per parse cost a mkdtemp, a chmod and a recursive removal each time. The caller
 * removes each file when done.
 */
export class PrivateCopies {
  private dir: Promise<string> | undefined;
  private files = 0;

  constructor(private readonly tempDir: string) {}

  /** Writes bytes to a new file of our own naming (nothing from LogiKal reaches the file system); returns its path. */
  async write(bytes: Buffer): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      this.dir ??= this.makeDir();
      const file = path.join(await this.dir, `parts-${++this.files}.db`);
      try {
        await writeNew(file, bytes);
        return file;
      } catch (err) {
        // The directory went away under us (removed by hand): a new one, once.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw err;
        this.dir = undefined;
      }
    }
  }

  private async makeDir(): Promise<string> {
    try {
      await fs.mkdir(this.tempDir, { recursive: true, mode: 0o700 });
      const dir = await fs.mkdtemp(path.join(this.tempDir, partsTempPrefix()));
      await fs.chmod(dir, 0o700);
      return dir;
    } catch (err) {
      this.dir = undefined;
      throw err;
    }
  }
}

/** A new file (0600) holding bytes: one write call for the whole file (writeFile takes several), repeated only for what a short write left. */
async function writeNew(file: string, bytes: Buffer): Promise<void> {
  const handle = await fs.open(file, 'wx', 0o600);
  try {
    for (let at = 0; at < bytes.length;) {
      const { bytesWritten } = await handle.write(bytes, at, bytes.length - at, at);
      if (bytesWritten <= 0) throw new Error(`could not write the parts list's private copy (${at} of ${bytes.length} bytes written)`);
      at += bytesWritten;
    }
  } finally {
    await handle.close();
  }
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
