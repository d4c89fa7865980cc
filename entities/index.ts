export { Directory } from './directory.entity';
export { Project } from './project.entity';
export { Phase, NULL_GUID, PHASE_UNIQUE } from './phase.entity';
export { Elevation, ELEVATION_UNIQUE, type ParseStatus } from './elevation.entity';
export { ElevationGlass } from './elevation-glass.entity';
export { SyncRun, ACTIVE_RUN_UNIQUE, ACTIVE_STATES, type SyncRunState, type SyncRunKind, type SyncFailure } from './sync-run.entity';
export { ApiKey, ALL_SCOPES, type Scope } from './api-key.entity';
export { StoredFile } from './stored-file.entity';
export { LogikalCapability } from './logikal-capability.entity';
export { LogikalSeat, type SeatState } from './logikal-seat.entity';
export { NightlyFiring } from './nightly-firing.entity';

import { Directory } from './directory.entity';
import { Project } from './project.entity';
import { Phase } from './phase.entity';
import { Elevation } from './elevation.entity';
import { ElevationGlass } from './elevation-glass.entity';
import { SyncRun } from './sync-run.entity';
import { ApiKey } from './api-key.entity';
import { StoredFile } from './stored-file.entity';
import { LogikalCapability } from './logikal-capability.entity';
import { LogikalSeat } from './logikal-seat.entity';
import { NightlyFiring } from './nightly-firing.entity';

export const ENTITIES = [
  Directory,
  Project,
  Phase,
  Elevation,
  ElevationGlass,
  SyncRun,
  ApiKey,
  StoredFile,
  LogikalCapability,
  LogikalSeat,
  NightlyFiring,
];
