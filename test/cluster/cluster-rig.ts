// The cluster suite's rig: one real LogiKal emulator and several real bridge processes (distinct
// BRIDGE_INSTANCE_ID) on one fresh database, started through the CLI like an operator would: the
// database migrated once by `migrate`, then the instances one after another (two instances starting
// at once with one BRIDGE_BOOTSTRAP_KEY can both insert its row, and the loser exits).
import '../helpers/test-env';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LogikalSeat } from '../../entities';
import type { EmulatorStats } from '../../emulator';
import { openDatabase } from '../../server/db/database';
import type { Db } from '../../server/db/db';
import type { SyncResult } from '../../server/sync/types';
import { configFor, createTestDatabase, dialect, type TestDatabase } from '../helpers/test-env';
import {
  assertNoActiveRun,
  BridgeProcess,
  CLI,
  EMU_USER,
  EmulatorProcess,
  eventually,
  ROOT,
  TERMINAL_STATES,
  type EmulatorStart,
} from '../reliability/harness';

export * from '../reliability/harness';

/** For describe(…, { skip }): several instances need the shared PostgreSQL; the embedded SQLite is one process's store. */
export const MULTI_INSTANCE_SKIP: string | false =
  dialect === 'postgres' ? false : 'several bridge instances share one PostgreSQL database; the embedded SQLite store is single-instance';

export interface ClusterOptions {
  instances: number;
  emulator?: EmulatorStart;
  /** Environment of every instance (LOGIKAL_MAX_SESSIONS, SYNC_CRON, …); SYNC_CRON is off unless given. */
  env?: Record<string, string>;
}

export class Cluster {
  readonly bridges: BridgeProcess[] = [];
  /** Lines any instance logged at warn or error level, prefixed with its instance id (for reports and failure messages). */
  readonly warnings: string[] = [];

  private constructor(
    readonly db: TestDatabase,
    readonly emu: EmulatorProcess,
    readonly key: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(o: ClusterOptions): Promise<Cluster> {
    assert.ok(o.instances === 1 || dialect === 'postgres', 'several instances need PostgreSQL (skip the test on SQLite)');
    const db = await createTestDatabase();
    let emu: EmulatorProcess | undefined;
    let cluster: Cluster | undefined;
    try {
      emu = await EmulatorProcess.start(o.emulator);
      const key = 'lkb_cluster_' + randomBytes(18).toString('base64url');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        ...db.env,
        LOG_LEVEL: 'warn',
        LOGIKAL_URL: emu.url,
        LOGIKAL_USERNAME: EMU_USER,
        LOGIKAL_PASSWORD: emu.password,
        BRIDGE_BOOTSTRAP_KEY: key,
        SYNC_CRON: 'off',
        ...o.env,
      };
      if (!db.env.DATABASE_URL) delete env.DATABASE_URL;
      delete env.MIGRATE_ON_START;
      cluster = new Cluster(db, emu, key, env);
      clusters.add(cluster);
      // The deploy step, once, before any instance: PostgreSQL instances do not migrate on start.
      await promisify(execFile)(process.execPath, [CLI, 'migrate'], { env: { ...env, MIGRATE_ON_START: 'false' }, cwd: ROOT }).catch(
        (err: Error) => assert.fail(`migrate failed: ${err.message}`),
      );
      for (let i = 1; i <= o.instances; i++) await cluster.startInstance(i);
      return cluster;
    } catch (err) {
      if (cluster) await cluster.close();
      else {
        await emu?.child.stop();
        await db.drop().catch(() => undefined);
      }
      throw err;
    }
  }

  /** BRIDGE_INSTANCE_ID of the i-th instance (1-based). */
  static instanceId(i: number): string {
    return `node-${i}`;
  }

  private async startInstance(i: number): Promise<BridgeProcess> {
    const id = Cluster.instanceId(i);
    // On PostgreSQL each instance has its own DATA_DIR (temporary files); on SQLite it holds the database itself.
    const dataDir = dialect === 'postgres' ? join(this.db.env.DATA_DIR, id) : this.db.env.DATA_DIR;
    mkdirSync(dataDir, { recursive: true });
    const bridge = await BridgeProcess.start(
      { ...this.env, DATA_DIR: dataDir, BRIDGE_INSTANCE_ID: id, MIGRATE_ON_START: 'false' },
      this.key,
    );
    bridge.child.onLine((line) => {
      if (/\b(warn|error)\b/i.test(line)) this.warnings.push(`${id}: ${line}`);
    });
    this.bridges[i - 1] = bridge;
    return bridge;
  }

  /** The instance whose BRIDGE_INSTANCE_ID is `id`. */
  bridgeOf(id: string | null): BridgeProcess {
    const b = this.bridges.find((x) => x.env.BRIDGE_INSTANCE_ID === id);
    assert.ok(b, `no instance "${id}" in this cluster`);
    return b;
  }

  /** Instances still alive. */
  alive(): BridgeProcess[] {
    return this.bridges.filter((b) => b.child.alive);
  }

  /** The shared database opened from this process (close it), for reads the RPC surface does not offer. */
  openDb(): Promise<Db> {
    return openDatabase(configFor(this.db));
  }

  async withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.openDb();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  /** Polls sync.status on `via` until the run is terminal. */
  waitRun(via: BridgeProcess, runId: number, timeoutMs: number): Promise<SyncResult> {
    return eventually(`run ${runId} terminal (via ${via.env.BRIDGE_INSTANCE_ID})`, timeoutMs, async () => {
      const r = await via.rpc<SyncResult>('sync.status', { run_id: runId });
      return TERMINAL_STATES.includes(r.state) ? r : undefined;
    });
  }

  /** SIGTERM to every live instance (a graceful stop: sessions logged out, seats given back). */
  async stopAll(): Promise<void> {
    await Promise.all(this.bridges.map((b) => b.child.stop()));
  }

  async close(): Promise<void> {
    clusters.delete(this);
    await Promise.all([this.stopAll(), this.emu.child.stop()]);
    await this.db.drop().catch(() => undefined);
  }

  /** The last warning lines, for failure messages. */
  lastWarnings(n = 15): string {
    return this.warnings.length ? `\n  instance warnings:\n    ${this.warnings.slice(-n).join('\n    ')}` : '';
  }
}

const clusters = new Set<Cluster>();

/** For a file's `after`: closes every cluster still open (a test that failed half-way included). */
export async function closeAll(): Promise<void> {
  await Promise.all([...clusters].map((c) => c.close()));
}

/**
 * Every LogiKal session ended: none open, and each login either logged out or (a killed instance's,
 * which nobody can log out) expired by the emulator's idle rule. Returns the final stats.
 */
export async function assertSessionsEnded(
  emu: EmulatorProcess,
  opts: { expiredAllowed: boolean; timeoutMs?: number },
): Promise<EmulatorStats> {
  let last: EmulatorStats | undefined;
  try {
    return await eventually('every LogiKal session ended', opts.timeoutMs ?? 20_000, async () => {
      last = await emu.stats();
      const expired = opts.expiredAllowed ? last.expiredSessions : 0;
      return last.openSessions === 0 && last.logins === last.logouts + expired ? last : undefined;
    });
  } catch (err) {
    if (last)
      assert.fail(`sessions: logins ${last.logins}, logouts ${last.logouts}, expired ${last.expiredSessions}, open ${last.openSessions}`);
    throw err;
  }
}

/** Licence seats of the shared budget whose lease still runs (PostgreSQL only; none may outlive the instances). */
export async function liveSeats(db: Db): Promise<number> {
  if (db.dialect !== 'postgres') return 0;
  return db.reader.getRepository(LogikalSeat).createQueryBuilder('s').where('s.lease_expires_at >= :now', { now: new Date() }).getCount();
}

/** The end of every cluster test, after the instances stopped: no run left active, no seat held, no session open. */
export async function assertClusterIdle(cluster: Cluster, opts: { expiredAllowed?: boolean } = {}): Promise<EmulatorStats> {
  const stats = await assertSessionsEnded(cluster.emu, { expiredAllowed: opts.expiredAllowed ?? false });
  await cluster.withDb(async (db) => {
    await assertNoActiveRun(db);
    assert.equal(await liveSeats(db), 0, 'no licence seat left held in logikal_seats');
  });
  return stats;
}
