import { requireScope } from '../../server/auth/api-key.service';
import { toWireError } from '../wire-errors';
import { bearerKey, type Route } from './http-server';

/** GET /metrics: Prometheus text for a Bearer key with the read scope; 401 (and nothing else) otherwise. */
export const metricsRoute: Route = {
  method: 'GET',
  path: '/metrics',
  async handle(req, res, ctx) {
    try {
      requireScope(await ctx.services.apiKeys.authenticate(bearerKey(req)), 'read');
    } catch (err) {
      const wire = toWireError(err, ctx.requestId);
      res.writeHead(wire.httpStatus, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer' });
      res.end(`${wire.message}\n`);
      return;
    }
    const text = await ctx.services.metrics.text();
    res.writeHead(200, { 'Content-Type': ctx.services.metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(text);
  },
};
