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
}

export interface MethodInfo {
  name: string;
  scope: string | null;
  params: string[];
  doc: string;
}

const startedAt = Date.now();

export class SystemService {
  constructor(
    private readonly db: Db,
    private readonly config: BridgeConfig,
    private readonly methodList: () => MethodInfo[],
  ) {}

  version(): { name: string; version: string; api_version: number; server_version: string } {
    const v = bridgeVersion();
    return { name: 'logikal-bridge', version: v, api_version: 1, server_version: v };
  }

  async health(): Promise<HealthReport> {
    const dbOk = await this.db.answers();
    let migrations: HealthReport['migrations'] = 'unknown';
    if (dbOk) {
      try {
        migrations = (await hasPendingMigrations(this.db)) ? 'pending' : 'current';
      } catch {
        migrations = 'unknown';
      }
    }
    return {
      ok: dbOk && migrations === 'current',
      database: dbOk ? 'ok' : 'down',
      migrations,
      logikal_configured: !!this.config.logikal.url,
      version: bridgeVersion(),
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    };
  }

  methods(): MethodInfo[] {
    return this.methodList();
  }
}
