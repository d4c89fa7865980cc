import { startEmulator, type EmulatorOptions, type LogikalEmulator } from '../../emulator';
import { startTestApp, type TestApp } from './test-app';

export const EMU_USER = 'odoo';
export const EMU_PASSWORD = 'emulator-secret-pw-4821';

export interface Rig {
  bridge: TestApp;
  emulator: LogikalEmulator;
  close(): Promise<void>;
}

/** The bridge on a fresh database, pointed at a fresh emulator with no latency. */
export async function startRig(opts: { emulator?: EmulatorOptions; env?: Record<string, string> } = {}): Promise<Rig> {
  const emulator = await startEmulator({ latencyScale: 0, username: EMU_USER, password: EMU_PASSWORD, ...opts.emulator });
  const bridge = await startTestApp({
    LOGIKAL_URL: emulator.url,
    LOGIKAL_USERNAME: EMU_USER,
    LOGIKAL_PASSWORD: EMU_PASSWORD,
    LOGIKAL_MAX_SESSIONS: '4',
    ...opts.env,
  });
  return {
    bridge,
    emulator,
    async close() {
      await bridge.close();
      await emulator.stop();
    },
  };
}
