// Shared by the client tests: ids from the emulator's demo fixture, a fast-failing client for an emulator,
// and per-endpoint call counts.
import type { EmulatorFixture, LogikalEmulator } from '../../emulator/index';
import { LogikalClient } from '../../server/logikal/logikal-client';
import type { LogikalClientOptions } from '../../server/logikal/logikal-client';

export const DOS22309 = '5ddb1393-56eb-4280-9f7e-3c3aec51483c';
export const DOS22410 = '15782e4d-a69c-4ce5-9c17-d3060a039b2d';
export const FASE1 = '00303b10-c1b9-4f1f-ae5f-a297f89ccecd';
export const PASSWORD = 'logikal-demo';

export function clientFor(e: LogikalEmulator, o: Partial<LogikalClientOptions> = {}): LogikalClient {
  return new LogikalClient({
    baseUrl: e.url,
    username: 'odoo',
    password: PASSWORD,
    maxSessions: 4,
    callTimeoutMs: 2000,
    backoffBaseMs: 5,
    backoffMaxMs: 40,
    ...o,
  });
}

/** How many calls the emulator has answered on one endpoint, e.g. 'POST /directories/select'. */
export function calls(e: LogikalEmulator, key: string): number {
  return e.stats().callsByEndpoint[key] ?? 0;
}

/** A phase of project DOS22309 in the demo fixture, with its elevations in fixture order. */
export function demoPhase(fixture: EmulatorFixture, phaseId: string): { elevations: Array<{ id: string; name: string }> } {
  const dos = fixture.directories[0].projects!.find((p) => p.id === DOS22309)!;
  return dos.phases.find((p) => p.id === phaseId)!;
}
