import type { BridgeConfig } from './config';
import { hasPendingMigrations } from './db/database';
import type { Db } from './db/db';
import { DbCapabilityStore } from './db/capability-store';
import { capabilityServerUrl } from './logikal';
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
  /**
   * What the bridge learnt LOGIKAL_URL's server allows beyond the strict walk (sibling elevation
   * and phase selects), per server version, newest first; [] before anything was learnt, null when
   * LogiKal is not configured or the database does not answer.
   */
  logikal_capabilities: LogikalCapabilityReport[] | null;
}

export interface LogikalCapabilityReport {
  server_version: string;
  capability: string;
  allowed: boolean;
  learnt_at: string;
  evidence: string;
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
  private readonly capabilities: DbCapabilityStore;

  constructor(
    private readonly db: Db,
    private readonly config: BridgeConfig,
    private readonly methodList: () => MethodInfo[],
  ) {
    this.capabilities = new DbCapabilityStore(db);
  }

  version(): { name: string; version: string; api_version: number; server_version: string } {
    const v = bridgeVersion();
    return { name: 'logikal-bridge', version: v, api_version: 1, server_version: v };
  }

  /** Shutdown began: /health answers 503 from now on. */
  markShuttingDown(): void {
    this.draining = true;
  }

  async health(): Promise<HealthReport> {
    if (this.draining) return this.report(false, 'unknown', true, null);
    const dbOk = await this.db.answers();
    let migrations: HealthReport['migrations'] = 'unknown';
    if (dbOk) {
      try {
        migrations = (await hasPendingMigrations(this.db)) ? 'pending' : 'current';
      } catch {
        migrations = 'unknown';
      }
    }
    return this.report(dbOk, migrations, false, migrations === 'current' ? await this.learntCapabilities() : null);
  }

  private async learntCapabilities(): Promise<LogikalCapabilityReport[] | null> {
    const url = this.config.logikal.url;
    if (!url) return null;
    try {
      return (await this.capabilities.ofServer(capabilityServerUrl(url))).map((c) => ({
        server_version: c.serverVersion,
        capability: c.capability,
        allowed: c.allowed,
        learnt_at: c.learntAt.toISOString(),
        evidence: c.evidence,
      }));
    } catch {
      return null;
    }
  }

  private report(
    dbOk: boolean,
    migrations: HealthReport['migrations'],
    shuttingDown: boolean,
    capabilities: LogikalCapabilityReport[] | null,
  ): HealthReport {
    return {
      ok: dbOk && migrations === 'current' && !shuttingDown,
      database: dbOk ? 'ok' : 'down',
      migrations,
      logikal_configured: !!this.config.logikal.url,
      version: bridgeVersion(),
      uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      shutting_down: shuttingDown,
      logikal_capabilities: capabilities,
    };
  }

  methods(): MethodInfo[] {
    return this.methodList();
  }
}
