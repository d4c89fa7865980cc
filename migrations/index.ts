import type { MigrationInterface } from 'typeorm';
import { InitialSchema1764374400000 } from './1764374400000-InitialSchema';
import { StoredFilesAndRunTargets1764979200000 } from './1764979200000-StoredFilesAndRunTargets';
import { LeasedRuns1765065600000 } from './1765065600000-LeasedRuns';
import { SaltedApiKeys1765152000000 } from './1765152000000-SaltedApiKeys';
import { LogikalCapabilities1765238400000 } from './1765238400000-LogikalCapabilities';
import { SharedRunsAndLicences1765324800000 } from './1765324800000-SharedRunsAndLicences';

/** The one linear migration history, oldest first. */
export const MIGRATIONS: Array<new () => MigrationInterface> = [
  InitialSchema1764374400000,
  StoredFilesAndRunTargets1764979200000,
  LeasedRuns1765065600000,
  SaltedApiKeys1765152000000,
  LogikalCapabilities1765238400000,
  SharedRunsAndLicences1765324800000,
];
