import type { FaultOptions } from './faults';
import type { EmulatorFixture } from './fixture';
import type { GeneratedProjectsOptions } from './generated-projects';
import type { LatencyProfile } from './latency';

export interface EmulatorOptions {
  /** Fixture file path or object (default fixtures/demo.json). Objects are deep-copied. */
  fixture?: string | EmulatorFixture;
  /** Folder holding the fixture's thumbnail files (default fixtures/thumbnails). */
  thumbnailsDir?: string;
  host?: string;
  /** 0 = a free port. */
  port?: number;
  /** Mount point; real servers use '/MbioeService.svc/api/v3'. Default '/api/v3'. */
  prefix?: string;
  username?: string;
  password?: string;
  /** Multiplies every latency; 0 = answer at once (tests). Default 1 = the real server's timings. */
  latencyScale?: number;
  latency?: Partial<LatencyProfile>;
  /** Let a session select a sibling elevation, phase or directory (open question 1; default false: 409 as observed). */
  allowSiblingSelect?: boolean;
  getDirectoriesResetsToDirectory?: boolean;
  /** MbioeService's version in GET /version (default 12.2.6.59, the swagger's). */
  serverVersion?: string;
  /** 0 = sessions never expire. */
  idleExpirySeconds?: number;
  /** Licence cap on concurrent sessions (default 64). */
  maxSessions?: number;
  /** Status of a login refused for the licence cap (default 403). */
  licenceRefusalStatus?: number;
  /** Its message (default "The licence limit of N concurrent sessions has been reached."). */
  licenceRefusalMessage?: string;
  faults?: FaultOptions;
  /** Adds deterministic made-up projects to the fixture, in root directories "Generated 01", … (see generated-projects.ts). */
  generateProjects?: GeneratedProjectsOptions;
  /**
   * Generates every parts list before listen() resolves (~0.1 s each, synchronous), so that a
   * benchmark's downloads cost their modelled latency and not the generator's CPU.
   */
  pregeneratePartsLists?: boolean;
}

/** The knobs that can change while the emulator runs. */
export interface RuntimeOptions {
  allowSiblingSelect?: boolean;
  getDirectoriesResetsToDirectory?: boolean;
  serverVersion?: string;
  idleExpirySeconds?: number;
  maxSessions?: number;
  latencyScale?: number;
  licenceRefusalStatus?: number;
  /** '' = back to the default licence-limit text. */
  licenceRefusalMessage?: string;
}
