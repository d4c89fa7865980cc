import { LogikalCapability } from '../../entities';
import type { Capability, CapabilityStore, LearntCapability } from '../logikal';
import type { Db } from './db';

/** Learnt LogiKal capabilities in the database (logikal_capabilities): remembered across restarts and instances. */
export class DbCapabilityStore implements CapabilityStore {
  constructor(private readonly db: Db) {}

  async load(serverUrl: string, serverVersion: string): Promise<LearntCapability[]> {
    const rows = await this.db.reader
      .getRepository(LogikalCapability)
      .findBy({ serverUrl: serverUrl.slice(0, 500), serverVersion: serverVersion.slice(0, 160) });
    return rows.map(toLearnt);
  }

  async save(l: LearntCapability): Promise<void> {
    await this.db.write((m) =>
      m.getRepository(LogikalCapability).upsert(
        {
          serverUrl: l.serverUrl.slice(0, 500),
          serverVersion: l.serverVersion.slice(0, 160),
          capability: l.capability,
          allowed: l.allowed,
          evidence: l.evidence.slice(0, 300),
          learntAt: l.learntAt,
        },
        ['serverUrl', 'serverVersion', 'capability'],
      ),
    );
  }

  /** What was learnt of a server, every version, the newest first (system.health). */
  async ofServer(serverUrl: string, limit = 10): Promise<LearntCapability[]> {
    const rows = await this.db.reader
      .getRepository(LogikalCapability)
      .find({ where: { serverUrl: serverUrl.slice(0, 500) }, order: { learntAt: 'DESC', id: 'DESC' }, take: limit });
    return rows.map(toLearnt);
  }
}

function toLearnt(r: LogikalCapability): LearntCapability {
  return {
    serverUrl: r.serverUrl,
    serverVersion: r.serverVersion,
    capability: r.capability as Capability,
    allowed: r.allowed,
    learntAt: r.learntAt,
    evidence: r.evidence,
  };
}
