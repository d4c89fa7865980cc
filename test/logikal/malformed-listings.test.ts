import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging } from '../../server/logging';
import { startEmulator, type ListingFault, type LogikalEmulator } from '../../emulator/index';
import type { LogikalSession } from '../../server/logikal/logikal-session';
import { LogikalProtocolError } from '../../server/logikal/logikal-errors';
import { NULL_GUID, type LogikalPath } from '../../server/logikal/logikal-types';
import { calls, clientFor, DOS22309 } from './demo-client';

// A sync retires every row missing from a listing, so a listing that is not a list (a proxy's empty
// 200, `{}`, `{"data": null}`) must be an error, never "nothing listed"; a valid empty list stays one.

configureLogging({ level: 'error', production: false, silent: true });

let emu: LogikalEmulator;
before(async () => {
  emu = await startEmulator({ latencyScale: 0 });
});
after(async () => {
  await emu.stop();
});

const LISTINGS: Array<[string, LogikalPath, (s: LogikalSession) => Promise<unknown[]>]> = [
  ['GET /directories', { directory: '' }, (s) => s.listDirectories()],
  ['GET /projects', { directory: 'Demo Odoo' }, (s) => s.listProjects()],
  ['GET /phases', { directory: 'Demo Odoo', projectId: DOS22309 }, (s) => s.listPhases()],
  ['GET /elevations', { directory: 'Demo Odoo', projectId: DOS22309, phaseId: NULL_GUID }, (s) => s.listElevations()],
];

const MALFORMED: Array<[ListingFault, RegExp]> = [
  ['emptyBody', /the body is empty/],
  ['emptyObject', /it has no data/],
  ['nullData', /its data is null/],
];

for (const [endpoint, path, list] of LISTINGS) {
  test(`${endpoint}: an empty body, {} and {"data":null} are protocol errors, not retried; {"data":[]} is an empty listing`, async () => {
    const client = clientFor(emu);
    for (const [kind, reason] of MALFORMED) {
      emu.setFaults({ listings: { [endpoint]: kind } });
      const before = calls(emu, endpoint);
      await assert.rejects(
        client.withPath(path, list),
        (err: unknown) =>
          err instanceof LogikalProtocolError &&
          !err.transient &&
          err.operation === endpoint &&
          err.message.startsWith(`Logikal ${endpoint} returned a malformed listing: `) &&
          reason.test(err.message),
        kind,
      );
      assert.equal(calls(emu, endpoint) - before, 1, `${kind}: asked once, neither retried nor replayed`);
    }
    emu.setFaults({ listings: { [endpoint]: 'emptyList' } });
    assert.deepEqual(await client.withPath(path, list), []);
    emu.setFaults({});
    assert.ok((await client.withPath(path, list)).length > 0);
    assert.equal(emu.stats().openSessions, 0);
  });
}
