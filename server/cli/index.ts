#!/usr/bin/env node
import { Command } from 'commander';
import { cliConfig, fail } from './config';
import { configureLogging, getLogger } from '../logging';
import { bridgeVersion } from '../version';
import { startApp } from '../bootstrap';
import { startScheduler } from '../scheduler';
import { openDatabase, migrate } from '../db/database';
import { registerSchemaCommands } from './schema';
import { withApiKeys } from './support';
import { keyFingerprint } from '../auth/api-key.service';
import { runSyncCommand } from './sync';
import { runDemo } from './demo';

const program = new Command('logikal-bridge')
  .description('Mirrors Orgadata LogiKal into a database and serves it to Odoo over JSON-RPC')
  .version(bridgeVersion());

program
  .command('serve')
  .description('serve JSON-RPC on HOST:PORT (default 127.0.0.1:8070)')
  .action(async () => {
    const c = cliConfig();
    const app = await startApp(c).catch(fail);
    const stopScheduler = startScheduler(app);
    // A stray rejection is a bug to log, not a reason to drop every caller's connection.
    process.on('unhandledRejection', (reason) => getLogger('app').error('unhandled rejection', { error: reason }));
    let stopping = false;
    const stop = async (): Promise<void> => {
      // A second signal: the operator wants out now.
      if (stopping) process.exit(1);
      stopping = true;
      // Whatever happens, the process is gone within the grace + 5 s.
      setTimeout(() => process.exit(1), (c.shutdownGraceSeconds + 5) * 1000).unref();
      stopScheduler();
      await app.shutdown(c.shutdownGraceSeconds);
      process.exit(0);
    };
    process.on('SIGINT', () => void stop());
    process.on('SIGTERM', () => void stop());
  });

program
  .command('migrate')
  .description('apply pending database migrations (the deploy step)')
  .action(async () => {
    const c = cliConfig();
    try {
      const db = await openDatabase(c);
      const { applied } = await migrate(db);
      await db.close();
      process.stdout.write(
        applied.length ? `applied ${applied.length} migration(s):\n${applied.map((a) => `  ${a}\n`).join('')}` : 'database is up to date\n',
      );
    } catch (err) {
      fail(new Error(`migration failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  });

const apikey = program.command('apikey').description('manage API keys');
apikey
  .command('create')
  .requiredOption('--name <name>', 'who the key is for')
  .option('--scopes <list>', 'read,sync,admin', 'read')
  .description('create a key and print it once')
  .action(async (opts: { name: string; scopes: string }) => {
    const c = cliConfig();
    await withApiKeys(c, async (keys, parseScopes) => {
      const { key, record } = await keys.create(opts.name, parseScopes(opts.scopes));
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `created key "${record.name}" (id ${record.id}, fingerprint ${keyFingerprint(record)}, scopes ${record.scopes.join(',')}); it is not shown again\n`,
      );
    }).catch(fail);
  });
apikey
  .command('list')
  .description('list keys (never their secrets)')
  .action(async () => {
    const c = cliConfig();
    await withApiKeys(c, async (keys) => {
      for (const k of await keys.list()) {
        process.stdout.write(`${k.id}\t${k.name}\t${keyFingerprint(k)}\t${k.scopes.join(',')}\t${k.revokedAt ? 'revoked' : 'active'}\n`);
      }
    }).catch(fail);
  });
apikey
  .command('revoke <nameOrId>')
  .description('revoke a key')
  .action(async (nameOrId: string) => {
    const c = cliConfig();
    await withApiKeys(c, async (keys) => {
      const k = await keys.revoke(nameOrId);
      process.stdout.write(`revoked "${k.name}"\n`);
    }).catch(fail);
  });

program
  .command('emulator')
  .description('run the bundled LogiKal MBIOE emulator')
  .option('--fixture <file>', 'fixture JSON (default: fixtures/demo.json)')
  .option('--port <port>', 'port', '8090')
  .option('--host <host>', 'address', '127.0.0.1')
  .option('--latency-scale <s>', "multiply the real server's measured latencies", '1')
  .option('--prefix <prefix>', 'API prefix (real servers: /MbioeService.svc/api/v3)', '/api/v3')
  .option('--username <u>', 'accepted username', 'odoo')
  .option('--password <p>', 'accepted password', 'logikal-demo')
  .option('--max-sessions <n>', 'licence cap on concurrent sessions')
  .option('--licence-refusal-status <code>', 'status of a login refused for the licence cap (403, 409, 429, 503…)', '403')
  .option('--licence-refusal-message <text>', 'message of that refusal (default: the licence-limit text)')
  .option('--sibling-select', 'let a session select a sibling elevation, phase or directory (default: strict, 409 as observed)')
  .option('--generate-projects <n>', 'add n made-up projects (~7 elevations each) in root directories "Generated 01", … (25 each)')
  .option('--generate-seed <n>', 'seed of the generated projects: same seed, same GUIDs and parts lists', '1')
  .option('--pregenerate-parts-lists', 'generate every parts list before listening (benchmarks: downloads then cost only latency)')
  .action(async (o: Record<string, string | undefined> & { siblingSelect?: boolean; pregeneratePartsLists?: boolean }) => {
    configureLogging({ level: 'info', production: false });
    // The emulator is a test and demo tool: only this command and `demo` load it.
    const { startEmulator } = await import('../../emulator/index.js');
    const emu = await startEmulator({
      fixture: o.fixture,
      port: Number(o.port),
      host: o.host,
      latencyScale: Number(o.latencyScale),
      prefix: o.prefix,
      username: o.username,
      password: o.password,
      maxSessions: o.maxSessions ? Number(o.maxSessions) : undefined,
      licenceRefusalStatus: Number(o.licenceRefusalStatus),
      licenceRefusalMessage: o.licenceRefusalMessage,
      allowSiblingSelect: o.siblingSelect === true,
      generateProjects: o.generateProjects ? { count: Number(o.generateProjects), seed: Number(o.generateSeed) } : undefined,
      pregeneratePartsLists: o.pregeneratePartsLists === true,
    }).catch(fail);
    process.stdout.write(`LogiKal emulator at ${emu.url}\n  LOGIKAL_URL=${emu.url} LOGIKAL_USERNAME=${o.username} LOGIKAL_PASSWORD=…\n`);
    if (emu.generatedDirectories.length) process.stdout.write(`  TRACKED_DIRECTORIES=${emu.generatedDirectories.join(',')}\n`);
    const stop = async () => {
      await emu.stop();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

program
  .command('sync <project>')
  .description('force-sync one project (name or GUID) now; prints the result as JSON')
  .requiredOption('--directory <path>', 'Logikal directory path, e.g. "Demo Odoo"')
  .option('--smart', 'download only elevations that changed since the last sync')
  .option('--concurrency <n>', 'parallel Logikal sessions (default LOGIKAL_MAX_SESSIONS)')
  .action(async (project: string, opts: { directory: string; smart?: boolean; concurrency?: string }) => {
    const c = cliConfig();
    // exit explicitly: keep-alive sockets to Logikal would otherwise hold the process open.
    process.exit(await runSyncCommand(c, project, opts).catch(fail));
  });

program
  .command('demo')
  .description('bundled emulator + embedded SQLite + a real force sync of DOS22309 over JSON-RPC')
  .option('--latency-scale <s>', 'emulator latency relative to the real server', '0.05')
  .option('--keep', 'keep the bridge and emulator running afterwards')
  .action(async (o: { latencyScale: string; keep?: boolean }) => {
    await runDemo({ latencyScale: Number(o.latencyScale), keep: !!o.keep }).catch(fail);
  });

registerSchemaCommands(program);

program.parseAsync(process.argv).catch(fail);
