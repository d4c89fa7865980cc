import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { configureLogging, getLogger, registerSecret, rootLogger } from '../../server/logging';

function capture(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk).trim());
      cb();
    },
  });
  const t = new winston.transports.Stream({ stream });
  rootLogger.add(t);
  return { lines, stop: () => rootLogger.remove(t) };
}

describe('logging', () => {
  it('writes one JSON object per line in production, with the area of the child logger', () => {
    configureLogging({ level: 'info', production: true, silent: true });
    const c = capture();
    try {
      getLogger('sync').info('run finished', { runId: 7, ms: 12 });
      const rec = JSON.parse(c.lines[0]);
      assert.equal(rec.message, 'run finished');
      assert.equal(rec.area, 'sync');
      assert.equal(rec.runId, 7);
      assert.equal(rec.level, 'info');
    } finally {
      c.stop();
    }
  });

  it('redacts registered secrets anywhere and secret-named fields', () => {
    configureLogging({ level: 'debug', production: false, silent: true });
    const c = capture();
    try {
      registerSecret('hunter2-password-value');
      getLogger('logikal').warn('login with hunter2-password-value failed', {
        body: { username: 'odoo', password: 'plain-but-named-password' },
        nested: ['token=hunter2-password-value'],
        error: new Error('boom hunter2-password-value'),
        authorization: 'Bearer abc',
      });
      const all = c.lines.join('\n');
      assert.equal(all.includes('hunter2-password-value'), false);
      assert.equal(all.includes('plain-but-named-password'), false);
      assert.equal(all.includes('Bearer abc'), false);
      assert.match(all, /\[REDACTED\]/);
      assert.match(all, /readable|login with/);
    } finally {
      c.stop();
      configureLogging({ level: 'warn', production: false });
    }
  });
});
