import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partsTempPrefix, sweepPartsTempDir } from '../../server/parts/temp-files';

describe('start-up sweep of DATA_DIR/tmp (parts-list temp directories)', () => {
  it('removes what dead processes left, keeps live processes’ directories and anything not named like ours', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lkb-sweep-'));
    try {
      // A process that has exited: its pid is (for now) nobody's.
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      const live = process.ppid;
      const dir = (name: string, file = true) => {
        mkdirSync(join(tmp, name));
        if (file) writeFileSync(join(tmp, name, 'parts.db'), 'SQLite format 3\u0000');
      };
      dir(`${partsTempPrefix(dead)}aB3dE9`); // killed mid-parse
      dir('parts-Zq81xw'); // a bridge from before the pid was in the name
      dir(`${partsTempPrefix()}Kk2Lm4`, false); // this process before a restart in the same pid (pid 1 in a container)
      dir(`${partsTempPrefix(live)}Pp7Qq8`); // another live process (a `logikal-bridge sync` beside the server)
      dir('parts-12-short'); // not mkdtemp's six characters
      dir('elevations');
      writeFileSync(join(tmp, `${partsTempPrefix(dead)}Ff6Gg7`), 'a file, not our directory');
      writeFileSync(join(tmp, 'notes.txt'), 'not ours');

      assert.equal(await sweepPartsTempDir(tmp), 3);
      assert.deepEqual(
        readdirSync(tmp).sort(),
        [`${partsTempPrefix(dead)}Ff6Gg7`, `${partsTempPrefix(live)}Pp7Qq8`, 'elevations', 'notes.txt', 'parts-12-short'].sort(),
      );
      assert.equal(await sweepPartsTempDir(tmp), 0, 'nothing left to sweep');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a missing temp directory is nothing to sweep', async () => {
    const missing = join(tmpdir(), `lkb-missing-${process.pid}`);
    assert.equal(existsSync(missing), false);
    assert.equal(await sweepPartsTempDir(missing), 0);
  });
});
