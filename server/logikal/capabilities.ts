import { getLogger } from '../logging';
import type { LogikalVersion } from './logikal-types';

const log = getLogger('logikal');

/**
 * What a LogiKal server may or may not let a session do beyond the strict one-way walk (open
 * question 1 of reference/logikal-api.md): select a sibling elevation while in an elevation, or a
 * sibling phase while in a phase. Nobody knows for the real server, so the client learns it.
 */
export type Capability = 'sibling_elevation_select' | 'sibling_phase_select';
export const CAPABILITIES: readonly Capability[] = ['sibling_elevation_select', 'sibling_phase_select'];

/** What is known of one capability of one server: unknown until tried. */
export type CapabilityState = 'allowed' | 'refused' | 'unknown';

/** A capability learnt of a server (URL + version), with when and what showed it. */
export interface LearntCapability {
  serverUrl: string;
  serverVersion: string;
  capability: Capability;
  allowed: boolean;
  learntAt: Date;
  /** What showed it, for people: the refusal LogiKal answered, or the sibling select that worked. */
  evidence: string;
}

/** Where learnt capabilities are kept across restarts (the database; see server/db/capability-store.ts). */
export interface CapabilityStore {
  load(serverUrl: string, serverVersion: string): Promise<LearntCapability[]>;
  save(learnt: LearntCapability): Promise<void>;
}

/** The server part of a capability's key: the base URL as the client calls it (no trailing slash). */
export function capabilityServerUrl(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}

/** A server's version as one line: its components' names and versions. */
export function versionLine(v: LogikalVersion): string {
  const line = v.componentVersions
    .map((c) => `${c.name} ${c.version}`.trim())
    .filter((s) => s !== '')
    .join('; ');
  return (line || 'unknown').slice(0, 160);
}

/**
 * The capabilities of the LogiKal server a client talks to. Which server that is, is asked of
 * GET /version (no seat) at every {@link refresh}: a new version is a new server, whose
 * capabilities are learnt again. Until a server is known, every capability reads as refused: the
 * strict walk is always safe.
 *
 * Learning is by trying, once: the first sideways select of an unknown capability is the probe
 * ({@link claim} hands it to one caller and makes the others wait for its outcome). A 409 or any
 * sign of a wrong state records it as refused; a sideways select that worked records it as
 * allowed; a later refusal of an allowed one records it as refused again. Each outcome is stored
 * with when it was learnt.
 */
export class LogikalCapabilities {
  private server: { url: string; version: string } | undefined;
  private learntOf = new Map<Capability, LearntCapability>();
  private readonly probes = new Map<Capability, { done: Promise<void>; settle: () => void }>();
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly serverUrl: string,
    private readonly version: () => Promise<LogikalVersion>,
    private readonly store?: CapabilityStore,
  ) {}

  /** Asks LogiKal which version it runs; on a change, loads what was learnt of that version before. Never throws. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    let version: string;
    try {
      version = versionLine(await this.version());
    } catch (err) {
      log.debug('GET /version failed: LogiKal capabilities unknown for now', { error: (err as Error).message });
      return;
    }
    if (this.server?.version === version) return;
    let learnt: LearntCapability[] = [];
    try {
      learnt = (await this.store?.load(this.serverUrl, version)) ?? [];
    } catch (err) {
      log.warn('could not read the learnt LogiKal capabilities', { error: (err as Error).message });
    }
    if (this.server && this.server.version !== version) log.info('LogiKal version changed: its capabilities are learnt again', { version });
    this.server = { url: this.serverUrl, version };
    this.learntOf = new Map(learnt.map((l) => [l.capability, l]));
  }

  /** Whether the server was identified (GET /version answered) since this process started. */
  get known(): boolean {
    return this.server !== undefined;
  }

  state(capability: Capability): CapabilityState {
    if (!this.server) return 'refused';
    const k = this.learntOf.get(capability);
    return k === undefined ? 'unknown' : k.allowed ? 'allowed' : 'refused';
  }

  /** What is known now, for people (system.health reads the stored rows instead). */
  learnt(): LearntCapability[] {
    return [...this.learntOf.values()];
  }

  /**
   * Before a sideways select: 'allowed' or 'refused' when known; 'probe' hands the probe to this
   * caller, who must {@link learn} the outcome or {@link release} the claim. A caller arriving
   * while another probes waits for that outcome.
   */
  async claim(capability: Capability): Promise<'allowed' | 'refused' | 'probe'> {
    for (;;) {
      const state = this.state(capability);
      if (state !== 'unknown') return state;
      const probe = this.probes.get(capability);
      if (!probe) {
        let settle!: () => void;
        const done = new Promise<void>((resolve) => (settle = resolve));
        this.probes.set(capability, { done, settle });
        return 'probe';
      }
      await probe.done;
    }
  }

  /** The probe ended without an answer (a fault, a shutdown): the next sideways select probes again. */
  release(capability: Capability): void {
    const probe = this.probes.get(capability);
    this.probes.delete(capability);
    probe?.settle();
  }

  /** Records what a sideways select showed; stored with the time. Never throws. */
  async learn(capability: Capability, allowed: boolean, evidence: string): Promise<void> {
    const server = this.server;
    if (server) {
      const before = this.learntOf.get(capability);
      const entry: LearntCapability = {
        serverUrl: server.url,
        serverVersion: server.version,
        capability,
        allowed,
        learntAt: new Date(),
        evidence: evidence.slice(0, 300),
      };
      if (before?.allowed !== allowed) {
        this.learntOf.set(capability, entry);
        log.info(`LogiKal ${allowed ? 'allows' : 'refuses'} ${capability.replace(/_/g, ' ')}`, { version: server.version, evidence });
        try {
          await this.store?.save(entry);
        } catch (err) {
          log.warn('could not store a learnt LogiKal capability', { capability, error: (err as Error).message });
        }
      }
    }
    this.release(capability);
  }
}
