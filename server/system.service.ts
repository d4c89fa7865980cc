import type { BridgeConfig } from './config';
import { hasPendingMigrations } from './db/database';
import type { Db } from './db/db';
import { bridgeVersion } from './version';

export interface HealthReport {
  ok: boolean;
  database: 'ok' | 'down';
  migrations: 'current' | 'pending' | 'unknown';
  logikal_configured: boolean;
  version: string;
  uptime_seconds: number;
  /** true from the first shutdown signal on: load balancers stop sending work here. */
  shutting_down: boolean;
}

export interface MethodInfo {
  name: string;
  scope: string | null;
  params: string[];
  doc: string;
}

const startedAt = Date.now();

export class SystemService {
  private draining = false;

  constructor(
    private readonly db: Db,
    private readonly config: BridgeConfig,
    private readonly methodList: () => MethodInfo[],
  ) {}

  version(): { name: string; version: string; api_version: number; server_version: string } {
    const v = bridgeVersion();
    return { name: 'logikal-bridge', version: v, api_version: 1, server_version: v };
  }

  /** Shutdown began: /health answers 503 from now on. */
  markShuttingDown(): void {
    this.draining = true;
  }

  async health(): Promise<HealthReport> {
    if (this.draining) return this.report(false, 'unknown', true);
    const dbOk = await this.db.answers();
    let migrations: HealthReport['migrations'] = 'unknown';
    if (dbOk) {
      try {
        migrations = (await hasPendingMigrations(this.db)) ? 'pending' : 'current';
      } catch {
        migrations = 'unknown';
      }
    }
    return this.report(dbOk, migrations, false);
  }

  private report(dbOk: boolean, migrations: HealthReport['migrations'], shuttingDown: boolean): HealthReport {
    return {
      ok: dbOk && migrations === 'current' && !shuttingDown,
      database: dbOk ? 'ok' : 'down',
      migrations,
      logikal_configured: !!this.config.logikal.url,
      version: bridgeVersion(),
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      shutting_down: shuttingDown,
    };
  }

  methods(): MethodInfo[] {
    return this.methodList();
  }
}
