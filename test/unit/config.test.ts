import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../server/config';

const refused = (env: Record<string, string>, message: RegExp) =>
  assert.throws(
    () => loadConfig(env),
    (e: unknown) => e instanceof ConfigError && message.test(e.message),
    JSON.stringify(env),
  );

describe('loadConfig (environment → BridgeConfig)', () => {
  it('applies every default, with blank values counting as unset', () => {
    const c = loadConfig({ PORT: '', HOST: '  ' });
    assert.equal(c.port, 8070);
    assert.equal(c.host, '127.0.0.1');
    assert.deepEqual(c.database, { type: 'sqlite', path: join(resolve('./data'), 'bridge.sqlite') });
    assert.deepEqual(c.logikal, { url: undefined, username: undefined, password: undefined, maxSessions: 4 });
    assert.equal(c.syncCron, '0 2 * * *');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.bootstrapKey, undefined);
    assert.equal(c.migrateOnStart, true);
    assert.equal(c.dbName, 'logikal');
    assert.equal(c.production, false);
  });

  it('reads and normalises set values', () => {
    const c = loadConfig({
      PORT: ' 0 ',
      DATABASE_URL: ' postgresql://u:p@h/db ',
      LOGIKAL_URL: 'https://h/MbioeService.svc/api/v3/',
      LOG_LEVEL: 'DEBUG',
      LOGIKAL_MAX_SESSIONS: '64',
      MIGRATE_ON_START: 'Yes',
      BRIDGE_DB_NAME: ' prod ',
      NODE_ENV: 'production',
    });
    assert.equal(c.port, 0);
    assert.deepEqual(c.database, { type: 'postgres', url: 'postgresql://u:p@h/db' });
    assert.equal(c.logikal.url, 'https://h/MbioeService.svc/api/v3/');
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.logikal.maxSessions, 64);
    assert.equal(c.migrateOnStart, true);
    assert.equal(c.dbName, 'prod');
    assert.equal(c.production, true);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db' }).migrateOnStart, false, 'PostgreSQL migrates by deploy step');
  });

  it('names the variable and what it expects, never showing a secret', () => {
    refused({ PORT: 'eighty' }, /^PORT: expected an integer from 0 to 65535, got "eighty"$/);
    refused({ LOGIKAL_MAX_SESSIONS: '65' }, /^LOGIKAL_MAX_SESSIONS: expected an integer from 1 to 64/);
    refused({ LOGIKAL_URL: 'ftp://x/api/v3' }, /^LOGIKAL_URL: expected an http\(s\) URL ending in \/api\/v3/);
    refused({ LOGIKAL_URL: 'http://x/api/v2' }, /^LOGIKAL_URL: expected an http\(s\) URL ending in \/api\/v3/);
    refused({ SYNC_CRON: 'nightly' }, /^SYNC_CRON: expected a cron expression/);
    refused({ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: expected one of error, warn, info/);
    refused({ MIGRATE_ON_START: 'maybe' }, /^MIGRATE_ON_START: expected true or false/);
    refused(
      { DATABASE_URL: 'mysql://root:hunter2@h/db' },
      /^DATABASE_URL: expected a postgres:\/\/ URL, or unset for the embedded SQLite$/,
    );
    refused({ BRIDGE_BOOTSTRAP_KEY: 'short-secret' }, /^BRIDGE_BOOTSTRAP_KEY: expected at least 16 characters$/);
    refused({ RESPONSE_MAX_BYTES: '1000' }, /^RESPONSE_MAX_BYTES: expected an integer from 65536 to 268435456, got "1000"$/);
  });

  it('refuses a BRIDGE_BOOTSTRAP_KEY the bridge could never accept, without showing it', () => {
    const never = [
      'k'.repeat(201), // longer than any key authenticate() looks at
      'a key with spaces in it', // a Bearer header ends at the first space
      'tab\tseparated-secret-key',
      'line-break-secret\nkey',
      'nul-in-the-middle\u0000key',
      'umlaut-secret-key-ä', // not ASCII: no Authorization header carries it intact
    ];
    for (const key of never) {
      assert.throws(
        () => loadConfig({ BRIDGE_BOOTSTRAP_KEY: key }),
        (e: unknown) => e instanceof ConfigError && e.message.startsWith('BRIDGE_BOOTSTRAP_KEY: expected ') && !e.message.includes(key),
        JSON.stringify(key),
      );
    }
    assert.equal(loadConfig({ BRIDGE_BOOTSTRAP_KEY: 'k'.repeat(200) }).bootstrapKey, 'k'.repeat(200));
    assert.equal(loadConfig({ BRIDGE_BOOTSTRAP_KEY: '~!@#$%^&*()_+{}|:"<>?0123456789' }).bootstrapKey?.length, 31);
  });

  it('the nightly: SYNC_CRON (5 or 6 fields, or off in any case), SYNC_TZ, TRACKED_DIRECTORIES, NIGHTLY_RETRY_SECONDS', () => {
    const d = loadConfig({});
    assert.deepEqual(
      [d.syncCron, d.syncTimezone, d.trackedDirectories, d.nightlyRetrySeconds],
      ['0 2 * * *', 'UTC', [], 60],
      'defaults: 02:00 UTC, no tracked directory, retries after 60 s',
    );
    for (const off of ['off', 'OFF', ' Off ']) assert.equal(loadConfig({ SYNC_CRON: off }).syncCron, null, off);
    assert.equal(loadConfig({ SYNC_CRON: ' */5 * * * * * ' }).syncCron, '*/5 * * * * *');
    assert.equal(loadConfig({ SYNC_TZ: 'Europe/Berlin' }).syncTimezone, 'Europe/Berlin');
    assert.deepEqual(loadConfig({ TRACKED_DIRECTORIES: ' Demo Odoo , Kunden/2026,, ' }).trackedDirectories, ['Demo Odoo', 'Kunden/2026']);
    assert.equal(loadConfig({ NIGHTLY_RETRY_SECONDS: '0' }).nightlyRetrySeconds, 0);

    refused({ SYNC_CRON: 'offf' }, /^SYNC_CRON: expected a cron expression of 5 or 6 fields such as "0 2 \* \* \*", or off, got "offf"$/);
    refused({ SYNC_CRON: '0 0 2 * * * 2027' }, /^SYNC_CRON: expected a cron expression of 5 or 6 fields/);
    refused({ SYNC_CRON: '61 2 * * *' }, /^SYNC_CRON: expected a cron expression/);
    // Valid field by field, but the 31st is never a month's first Tuesday.
    refused({ SYNC_CRON: '0 0 31 * 2#1' }, /^SYNC_CRON: expected a cron expression that fires at some time \(this one never does\)/);
    refused(
      { SYNC_TZ: 'Mars/Olympus_Mons' },
      /^SYNC_TZ: expected an IANA time zone such as UTC or Europe\/Berlin, got "Mars\/Olympus_Mons"$/,
    );
    refused({ SYNC_TZ: '+02:00' }, /^SYNC_TZ: expected an IANA time zone/);
    refused({ NIGHTLY_RETRY_SECONDS: 'soon' }, /^NIGHTLY_RETRY_SECONDS: expected an integer from 0 to 86400, got "soon"$/);
  });

  it('RESPONSE_MAX_BYTES: 64 MiB unless set', () => {
    assert.equal(loadConfig({}).responseMaxBytes, 64 * 1024 * 1024);
    assert.equal(loadConfig({ RESPONSE_MAX_BYTES: '1048576' }).responseMaxBytes, 1048576);
  });
});
