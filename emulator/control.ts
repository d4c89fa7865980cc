import { ApiError, errorReply, MSG, type JsonReply } from './http-util';
import type { LogikalEmulator } from './index';

/**
 * Test/operator side door under `<prefix>/__emulator/…`: no auth, no latency, no faults, never in
 * the call stats. Replies are plain JSON (no LogiKal envelope) so curl output stays readable.
 *   GET  stats                      → EmulatorStats
 *   POST reset-stats                → EmulatorStats (after the reset)
 *   GET  faults | POST faults       → FaultOptions (POST replaces them; body = FaultOptions: rates,
 *                                     script, listings {"GET /projects": "nullData"}, down "refuse" |
 *                                     "unavailable" with downForSeconds — 'refuse' closes this door too)
 *   POST config                     → RuntimeOptions (partial update: nav knobs — allowSiblingSelect, the
 *                                     CLI's --sibling-select —, limits, latencyScale, serverVersion,
 *                                     licenceRefusalStatus, licenceRefusalMessage)
 *   POST touch-elevation  {id}      → ElevationData after the bump
 *   POST remove-elevation {id, toRecycleBin?}
 *   POST drop-sessions              → {dropped}  (as if the server restarted)
 */
export async function handleControl(
  emu: LogikalEmulator,
  method: string,
  rel: string,
  body: () => Promise<Record<string, unknown>>,
): Promise<JsonReply> {
  const action = rel.replace(/^\/__emulator\/?/i, '').toLowerCase();
  const json = (value: unknown): JsonReply => ({ kind: 'json', status: 200, body: value });
  try {
    switch (`${method} ${action}`) {
      case 'GET stats':
        return json(emu.stats());
      case 'POST reset-stats':
        emu.resetStats();
        return json(emu.stats());
      case 'GET faults':
        return json(emu.faults);
      case 'POST faults':
        emu.setFaults(await body());
        return json(emu.faults);
      case 'POST config':
        emu.configure(await body());
        return json(emu.runtimeOptions);
      case 'POST touch-elevation':
        return json(emu.touchElevation(String((await body()).id)));
      case 'POST remove-elevation': {
        const b = await body();
        emu.removeElevation(String(b.id), { toRecycleBin: b.toRecycleBin === true });
        return json({ removed: b.id });
      }
      case 'POST drop-sessions':
        return json({ dropped: emu.dropAllSessions() });
      default:
        return errorReply(404, MSG.unknownEndpoint);
    }
  } catch (err) {
    if (err instanceof ApiError) return errorReply(err.status, err.message);
    return errorReply(400, (err as Error).message);
  }
}
