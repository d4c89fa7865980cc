import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cachedRoot: string | undefined;

/** The repository root (the folder holding package.json), whether running from source or from dist/. */
export function repoRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  cachedRoot = dir;
  return dir;
}

export function fixturesDir(): string {
  return join(repoRoot(), 'fixtures');
}
