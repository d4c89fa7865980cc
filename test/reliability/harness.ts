// The reliability suite's rig: a real LogiKal emulator and a real bridge, each its own child process
// started through the CLI that package.json "bin" names, on a fresh database of the kind this test
// process runs on. What a crash, a signal or a hostile caller does can only be seen from outside.
import '../helpers/test-env';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openDatabase } from '../../server/db/database';
import type { Db } from '../../server/db/db';
import { configFor, createTestDatabase, type TestDatabase } from '../helpers/test-env';
import { assertNoActiveRun, assertNothingLost, assertSessionsClosed, mirrorSnapshot, type MirrorSnapshot } from './invariants';
import { BridgeProcess, EMU_USER, EmulatorProcess, type EmulatorStart } from './processes';

export * from './invariants';
export * from './processes';

// ---------------------------------------------------------------------------------------------
// The rig: emulator + bridge + database, always cleaned up

export interface RigOptions {
  emulator?: EmulatorStart;
  /** Extra bridge environment (e.g. LOGIKAL_MAX_SESSIONS, SHUTDOWN_GRACE_SECONDS). */
  env?: Record<string, string>;
  /** Point the bridge somewhere other than the rig's emulator (e.g. a counting TCP server). */
  logikalUrl?: string;
  /** Do not start an emulator at all (LogiKal down from the start); then logikalUrl is required. */
  noEmulator?: boolean;
}

export class Rig {
  bridge!: BridgeProcess;
  private constructor(
    readonly db: TestDatabase,
    readonly emulator: EmulatorProcess | undefined,
    readonly key: string,
    private readonly bridgeEnv: NodeJS.ProcessEnv,
  ) {}

  static async start(o: RigOptions = {}): Promise<Rig> {
    const db = await createTestDatabase();
    let emulator: EmulatorProcess | undefined;
    try {
      emulator = o.noEmulator ? undefined : await EmulatorProcess.start(o.emulator);
      const key = 'lkb_rel_' + randomBytes(18).toString('base64url');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...db.env,
        LOG_LEVEL: 'warn',
        MIGRATE_ON_START: 'true',
        LOGIKAL_URL: o.logikalUrl ?? emulator?.url,
        LOGIKAL_USERNAME: EMU_USER,
        LOGIKAL_PASSWORD: emulator?.password ?? 'no-emulator-password',
        BRIDGE_BOOTSTRAP_KEY: key,
        ...o.env,
      };
      if (!db.env.DATABASE_URL) delete env.DATABASE_URL;
      const rig = new Rig(db, emulator, key, env);
      rigs.add(rig);
      rig.bridge = await BridgeProcess.start(env, key);
      return rig;
    } catch (err) {
      if (emulator) await emulator.child.stop();
      await db.drop().catch(() => undefined);
      throw err;
    }
  }

  /** The rig's emulator; fails the test if it was started without one. */
  get emu(): EmulatorProcess {
    assert.ok(this.emulator, 'this rig has no emulator');
    return this.emulator;
  }

  /** A new bridge process on the same database and environment (after a crash or a stop). */
  async restartBridge(env: Record<string, string | undefined> = {}): Promise<BridgeProcess> {
    assert.ok(!this.bridge.child.alive, 'restartBridge: the previous bridge is still running');
    const next = { ...this.bridgeEnv, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete next[k];
    this.bridge = await BridgeProcess.start(next, this.key);
    return this.bridge;
  }

  /** The rig's database opened from this process, for reads the RPC surface does not offer. */
  async openDb(): Promise<Db> {
    return openDatabase(configFor(this.db));
  }

  /** Runs `fn` against a freshly opened database and closes it again. */
  async withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.openDb();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  /** Stops both children and drops the database; safe to call twice. */
  async close(): Promise<void> {
    rigs.delete(this);
    await Promise.all([this.bridge?.child.stop(), this.emulator?.child.stop()]);
    await this.db.drop().catch(() => undefined);
  }
}

const rigs = new Set<Rig>();

/** For a file's `after`: closes every rig still open (a test that failed half-way included). */
export async function closeAll(): Promise<void> {
  await Promise.all([...rigs].map((r) => r.close()));
}

/**
 * The invariant every reliability test ends on: no run left running, no session open at the
 * emulator, nothing stored before lost. `before` is a snapshot taken before the disturbance.
 */
export async function assertInvariants(rig: Rig, before?: MirrorSnapshot): Promise<void> {
  // A killed emulator has no sessions to count (the test replaced it or checks its own stand-in).
  if (rig.emulator?.child.alive) await assertSessionsClosed(rig.emulator);
  await rig.withDb(async (db) => {
    await assertNoActiveRun(db);
    if (before) assertNothingLost(before, await mirrorSnapshot(db));
  });
}
