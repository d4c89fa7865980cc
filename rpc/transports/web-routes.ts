import type { AppServices } from '../../server/app-services';
import { StatusService } from '../../server/web/status.service';
import { WebSessions } from '../../server/web/web-sessions';
import type { Route } from './http-server';
import { metricsRoute } from './metrics.route';
import { ODOO_SESSION_IDLE_MS, odooWebRoute, webVersionRoute } from './odoo-web.transport';
import { STATUS_SESSION_IDLE_MS, statusPageRoutes } from './status-page.routes';

/** What the bridge serves besides the RPC wires: the status page, Odoo's web-session API and /metrics. */
export function webRoutes(services: AppServices): Route[] {
  const status = new StatusService(services.db, services.config, services.sync, services.system, services.schema);
  // Separate stores: signing out of the page does not end an Odoo client's session, nor the reverse.
  const pageSessions = new WebSessions(services.db, { idleMs: STATUS_SESSION_IDLE_MS });
  const odooSessions = new WebSessions(services.db, { idleMs: ODOO_SESSION_IDLE_MS });
  return [...statusPageRoutes(status, pageSessions), odooWebRoute(odooSessions), webVersionRoute, metricsRoute];
}
