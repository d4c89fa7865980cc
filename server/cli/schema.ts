import type { Command } from 'commander';
import type { BridgeConfig } from '../config';
import { cliConfig } from './config';
import { openDatabase } from '../db/database';
import { SchemaHealthService } from '../db/schema-health.service';
import type { CheckReport, FixReport, SchemaProblem } from '../db/schema-health.service';

/**
 * `check-constraints` and `fix-constraints [--dry-run]`, for deploy scripts. Exit codes:
 *   0  the schema is clean (check) / everything was fixed or there was nothing to do (fix)
 *   1  problems remain, the fix was refused (duplicate rows, pending migrations), a dry run found work,
 *      or the database failed
 *   2  configuration error (bad environment variable)
 * Nothing here migrates: that is `logikal-bridge migrate`, the deploy step.
 */
export function registerSchemaCommands(program: Command): void {
  program
    .command('check-constraints')
    .description('compare the live schema with the migrations (exit 0 clean, 1 problems, 2 config error)')
    .option('--json', 'print the full report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = cliConfig();
      const report = await withSchema(c, (s) => s.check());
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else printCheck(report);
      process.exit(report.ok ? 0 : 1);
    });

  program
    .command('fix-constraints')
    .description('repair schema drift in one transaction; never deletes rows (exit 0 fixed/clean, 1 remaining/refused, 2 config error)')
    .option('--dry-run', 'print the statements without running them (exits 1 if there is anything to do)')
    .option('--json', 'print the full result as JSON')
    .action(async (opts: { dryRun?: boolean; json?: boolean }) => {
      const c = cliConfig();
      const result = await withSchema(c, (s) => s.fix({ dryRun: opts.dryRun === true }));
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else printFix(result);
      process.exit(result.ok && (!result.dry_run || result.statements.length === 0) ? 0 : 1);
    });
}

async function withSchema<T>(c: BridgeConfig, fn: (s: SchemaHealthService) => Promise<T>): Promise<T> {
  try {
    const db = await openDatabase(c);
    try {
      return await fn(new SchemaHealthService(db));
    } finally {
      await db.close();
    }
  } catch (err) {
    process.stderr.write(`logikal-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

function problemLine(p: SchemaProblem): string {
  return `  ${p.table}: ${p.kind} ${p.name}${p.columns.length ? ` (${p.columns.join(', ')})` : ''}\n    ${p.detail}\n    fix: ${p.fix}\n`;
}

function printCheck(r: CheckReport): void {
  const out = process.stdout;
  out.write(
    `schema (${r.dialect}): ${r.checked.length} tables checked, migrations ${r.migrations.pending.length ? `${r.migrations.pending.length} pending` : 'current'}\n`,
  );
  out.write(`rows with the null GUID: ${r.null_guid_rows.phases} phases, ${r.null_guid_rows.elevations} elevations\n`);
  if (r.ok) out.write('no problems\n');
  else out.write(`${r.problems.length} problem(s):\n${r.problems.map(problemLine).join('')}`);
}

function printFix(r: FixReport): void {
  const out = process.stdout;
  if (r.statements.length === 0) out.write('nothing to fix\n');
  else
    out.write(
      `${r.dry_run ? 'would run' : 'ran'} ${r.statements.length} statement(s) in one transaction:\n${r.statements.map((s) => `  ${s};\n`).join('')}`,
    );
  if (!r.dry_run && r.fixed.length) out.write(`fixed ${r.fixed.length}:\n${r.fixed.map(problemLine).join('')}`);
  if (r.remaining.length)
    out.write(`${r.dry_run ? 'current problems' : 'remaining'} (${r.remaining.length}):\n${r.remaining.map(problemLine).join('')}`);
}
