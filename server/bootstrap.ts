import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BridgeConfig } from './config';
import { secretsOf } from './config';
import { getLogger, registerSecret } from './logging';
import { openDatabase, migrate, hasPendingMigrations } from './db/database';
import type { Db } from './db/db';
import { ApiKeyService } from './auth/api-key.service';
import { SystemService } from './system.service';
import type { AppServices } from './app-services';
import { ServiceUnavailableError } from './errors';
import { MethodTable } from '../rpc/method-table';
import { Dispatcher } from '../rpc/dispatcher';
import { createHttpServer } from '../rpc/transports/http-server';
import { systemMethods } from '../rpc/system.rpc';
import { commonMethods } from '../rpc/common.rpc';
import { objectMethods } from '../rpc/object.rpc';
import { OdooModelService } from './odoo/odoo-model.service';
import { odooRoutes } from '../rpc/transports/odoo-routes';
import { adminMethods } from '../rpc/admin.rpc';
import { SchemaHealthService } from './db/schema-health.service';
import { syncMethods } from '../rpc/sync.rpc';
import { SyncService } from './sync/sync.service';
import { partsTempDir, sweepPartsTempDir } from './parts/temp-files';
import { BridgeMetrics } from './metrics';
import { webRoutes } from '../rpc/transports/web-routes';

const log = getLogger('app');

export interface App {
  config: BridgeConfig;
  services: AppServices;
  dispatcher: Dispatcher;
  http: Server;
  /** http://host:port once listening. */
  url: string;
  /** Closes at once (tests): running syncs are let finish. */
  close(): Promise<void>;
  /**
   * Graceful shutdown (SIGTERM/SIGINT): /health answers 503, no new run starts, running syncs stop
   * at a unit boundary within the grace (then are aborted, every LogiKal session logged out) and end
   * `interrupted`; requests in flight get up to 10 s; the database is closed.
   */
  shutdown(graceSeconds: number): Promise<void>;
}

/** Opens the database, applies or checks migrations, builds every service. No listening yet. */
export async function buildServices(config: BridgeConfig): Promise<{ services: AppServices; dispatcher: Dispatcher; db: Db }> {
  for (const s of secretsOf(config)) registerSecret(s);
  const db = await openDatabase(config);
  try {
    if (config.migrateOnStart) await migrate(db);
    else if (await hasPendingMigrations(db)) {
      throw new ServiceUnavailableError('Database migrations are pending: run `npm run migrate` (or set MIGRATE_ON_START=true)');
    }
    const apiKeys = new ApiKeyService(db);
    if (config.bootstrapKey) await apiKeys.ensureBootstrapKey(config.bootstrapKey);
    await sweepPartsTempDir(partsTempDir(config.dataDir));
    const table = new MethodTable([systemMethods, syncMethods, adminMethods, commonMethods, objectMethods]);
    const system = new SystemService(db, config, () =>
      table.list().map((m) => ({ name: m.name, scope: m.scope, params: m.params.map((p) => p.name), doc: m.doc })),
    );
    const metrics = new BridgeMetrics(config.logikal.maxSessions);
    const sync = new SyncService(db, config, undefined, metrics.syncTelemetry());
    metrics.watchSessions(() => sync.logikalStats());
    await sync.startup();
    const services: AppServices = {
      config,
      db,
      apiKeys,
      system,
      sync,
      schema: new SchemaHealthService(db),
      odoo: new OdooModelService(db),
      metrics,
    };
    const dispatcher = new Dispatcher(table, (method, outcome, seconds) => metrics.rpcCall(method, outcome, seconds));
    return { services, dispatcher, db };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Builds everything and starts listening. */
export async function startApp(config: BridgeConfig): Promise<App> {
  const { services, dispatcher, db } = await buildServices(config);
  if (!config.bootstrapKey) await services.apiKeys.retireBootstrapKey();
  const http = createHttpServer(services, dispatcher, [...odooRoutes(), ...webRoutes(services)]);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const addr = http.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${addr.port}`;
  log.info(`listening on ${url} (database: ${config.database.type})`);
  let closed = false;
  return {
    config,
    services,
    dispatcher,
    http,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await services.sync.drain();
      await services.sync.close();
      await db.close();
    },
    async shutdown(graceSeconds: number) {
      if (closed) return;
      closed = true;
      const started = Date.now();
      services.system.markShuttingDown();
      log.info(`shutting down: syncs get ${graceSeconds} s to stop`);
      await services.sync.shutdown(graceSeconds * 1000);
      // Stop accepting; idle keep-alive sockets go now, busy ones get up to 10 s within the budget.
      const closing = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const budget = Math.min(10_000, Math.max(500, (graceSeconds + 4.5) * 1000 - (Date.now() - started)));
      await Promise.race([closing, new Promise((r) => setTimeout(r, budget).unref())]);
      http.closeAllConnections();
      await db.close();
      log.info('shut down');
    },
  };
}
