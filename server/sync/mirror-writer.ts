import { createHash } from 'node:crypto';
import { In, IsNull, Not, type EntityManager } from 'typeorm';
import { Directory, Elevation, ElevationGlass, Phase, Project } from '../../entities';
import type { Db } from '../db/db';
import { MirrorLookups } from '../db/mirror-lookups';
import { FileStore } from '../db/file-store';
import type { LogikalElevation, LogikalPhase, LogikalProject } from '../logikal';
import type { ParsedPartsList } from '../parts/parts-list-parser';

/** An elevation as a phase listing gave it, with its thumbnail (null: not fetched, or failed when thumbnailFailed). */
export interface ListedElevation {
  e: LogikalElevation;
  thumbnail: Buffer | null;
  thumbnailFailed: boolean;
}

/** One stored elevation as the smart sync sees it; changedAt in Unix seconds like LogiKal's. */
export interface KnownElevation {
  logikalId: string;
  phaseLogikalId: string;
  versionId: string | null;
  changedAt: number | null;
  thumbnailSha256: string | null;
  partsListSha256: string | null;
  partsListSourceKey: string | null;
  parseStatus: string;
  /** When its parts list and its metadata (with the thumbnail) were last stored, ms; a resumed run skips what came after its start. */
  partsListSyncedAt: number | null;
  lastSyncedAt: number | null;
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

function unixToDate(v: number | null | undefined): Date | null {
  if (v === null || v === undefined || !Number.isFinite(v) || v <= 0) return null;
  // LogiKal sends Unix seconds; tolerate milliseconds as Odoo's addon did.
  return new Date(v > 1e11 ? v : v * 1000);
}

/**
 * A raw timestamp from getRawMany: a Date on PostgreSQL, on SQLite TypeORM's UTC text without a
 * zone ('YYYY-MM-DD HH:MM:SS.SSS'), which `new Date()` would read as local time.
 */
function rawUtc(v: unknown): Date {
  if (v instanceof Date) return v;
  const s = String(v);
  return new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? s : `${s.replace(' ', 'T')}Z`);
}

function parentPath(path: string): string | null {
  const i = path.lastIndexOf('/');
  return i > 0 ? path.slice(0, i) : null;
}

/**
 * All writes of a sync go through here, each one unit of `db.write`. Upserts are keyed on the
 * natural keys (directory path, project GUID, (phase GUID, project), (elevation GUID, phase)) so
 * retries and concurrent runs of neighbouring work never duplicate rows.
 */
export class MirrorWriter {
  private readonly lookups: MirrorLookups;

  constructor(private readonly db: Db) {
    this.lookups = new MirrorLookups(() => db.reader);
  }

  /** Upserts a directory and its ancestors; returns the directory's id. */
  directory(path: string, name?: string): Promise<number> {
    return this.db.write((m) => upsertDirectory(m, path, name));
  }

  /** Marks directories under `parentPath` (or at the root) that a complete listing no longer has. */
  retireDirectories(parentDirPath: string | null, presentPaths: string[]): Promise<number> {
    return this.db.write(async (m) => {
      const repo = m.getRepository(Directory);
      const parentId = parentDirPath === null ? null : (await repo.findOneBy({ path: parentDirPath }))?.id;
      if (parentId === undefined) return 0;
      const children = await repo.find({ where: { parentId: parentId ?? IsNull(), active: true } });
      const gone = children.filter((c) => !presentPaths.includes(c.path));
      if (gone.length) await repo.update({ id: In(gone.map((g) => g.id)) }, { active: false });
      return gone.length;
    });
  }

  project(p: LogikalProject, directoryId: number): Promise<Project> {
    return this.db.write(async (m) => {
      const repo = m.getRepository(Project);
      await repo.upsert(
        {
          logikalId: p.id.toLowerCase(),
          name: p.name,
          directoryId,
          jobNumber: p.jobNumber,
          offerNumber: p.offerNumber,
          personInCharge: p.personInCharge,
          estimated: !!p.estimated,
          logikalCreatedAt: unixToDate(p.createdDate),
          logikalChangedAt: unixToDate(p.changedDate),
          active: !p.isDeleted,
        },
        ['logikalId'],
      );
      return repo.findOneByOrFail({ logikalId: p.id.toLowerCase() });
    });
  }

  async markProjectSynced(projectId: number): Promise<void> {
    await this.db.write((m) => m.getRepository(Project).update({ id: projectId }, { lastSyncedAt: new Date() }));
  }

  /** Projects of a directory missing from its complete listing. */
  retireProjects(directoryId: number, presentGuids: string[]): Promise<number> {
    return this.db.write(async (m) => {
      const res = await m
        .getRepository(Project)
        .update({ directoryId, active: true, logikalId: Not(In(presentGuids.map((g) => g.toLowerCase()))) }, { active: false });
      return res.affected ?? 0;
    });
  }

  phase(projectId: number, ph: LogikalPhase): Promise<Phase> {
    return this.db.write(async (m) => {
      const repo = m.getRepository(Phase);
      const logikalId = ph.id.toLowerCase();
      await repo.upsert({ logikalId, projectId, name: ph.name, description: ph.description, active: true, lastSyncedAt: new Date() }, [
        'logikalId',
        'projectId',
      ]);
      return repo.findOneByOrFail({ logikalId, projectId });
    });
  }

  /** Phases of a project missing from its complete listing: marked inactive, never dropped. */
  retirePhases(projectId: number, keepIds: number[]): Promise<number> {
    return this.db.write(async (m) => {
      const res = await m
        .getRepository(Phase)
        .update({ projectId, active: true, id: Not(In(keepIds.length ? keepIds : [-1])) }, { active: false });
      return res.affected ?? 0;
    });
  }

  /**
   * Elevation metadata (+ thumbnail when given). When the thumbnail download failed, its hash is
   * cleared (the stored file stays) so the next smart sync fetches it again.
   */
  async elevation(phase: Phase, e: LogikalElevation, thumbnail: Buffer | null, thumbnailFailed = false): Promise<Pick<Elevation, 'id'>> {
    return (await this.elevations(phase, [{ e, thumbnail, thumbnailFailed }]))[0];
  }

  /** The same for a listed phase's elevations, in one transaction (one commit instead of one per elevation). */
  elevations(phase: Phase, listed: ListedElevation[]): Promise<Array<Pick<Elevation, 'id'>>> {
    const hashes = listed.map((l) => (l.thumbnail ? sha256(l.thumbnail) : null));
    return this.db.write(async (m) => {
      const rows: Array<Pick<Elevation, 'id'>> = [];
      for (const [i, l] of listed.entries()) rows.push(await this.upsertElevation(m, phase, l, hashes[i]));
      return rows;
    });
  }

  private async upsertElevation(
    m: EntityManager,
    phase: Phase,
    l: ListedElevation,
    thumbHash: string | null,
  ): Promise<Pick<Elevation, 'id'>> {
    const { e, thumbnail, thumbnailFailed } = l;
    const repo = m.getRepository(Elevation);
    const logikalId = e.id.toLowerCase();
    const before = await repo.findOne({
      where: { logikalId, phaseId: phase.id },
      select: { id: true, thumbnailFileId: true, thumbnailSha256: true },
    });
    const files = new FileStore(m, this.db.dialect);
    // The thumbnail it already has (a force sync fetches every one): no second copy sent to the database.
    const same = thumbHash !== null && before?.thumbnailSha256 === thumbHash && before.thumbnailFileId !== null;
    const thumbnailFileId = same ? before.thumbnailFileId! : thumbnail && thumbHash ? await files.put(thumbnail, thumbHash) : undefined;
    await repo.upsert(
      {
        logikalId,
        phaseId: phase.id,
        projectId: phase.projectId,
        versionId: e.versionId?.toLowerCase() ?? null,
        name: e.name,
        amount: e.amount,
        width: e.width,
        height: e.height,
        automaticDescription: e.automaticDescription,
        systemDescription: e.systemDescription,
        modelDescription: e.modelDescription,
        userDescription: e.userDescription,
        logikalChangedAt: unixToDate(e.changedDate),
        active: !e.isInRecycleBin,
        lastSyncedAt: new Date(),
        ...(thumbnailFileId !== undefined
          ? { thumbnailFileId, thumbnailSha256: thumbHash }
          : thumbnailFailed
            ? { thumbnailSha256: null }
            : {}),
      },
      ['logikalId', 'phaseId'],
    );
    if (thumbnailFileId !== undefined && before?.thumbnailFileId && before.thumbnailFileId !== thumbnailFileId) {
      await files.releaseIfUnused(before.thumbnailFileId);
    }
    // Only the id is wanted: reading the whole row back cost more than the upsert.
    return before ?? repo.findOneOrFail({ where: { logikalId, phaseId: phase.id }, select: { id: true } });
  }

  retireElevations(phaseId: number, keepIds: number[]): Promise<number> {
    return this.db.write(async (m) => {
      const res = await m
        .getRepository(Elevation)
        .update({ phaseId, active: true, id: Not(In(keepIds.length ? keepIds : [-1])) }, { active: false });
      return res.affected ?? 0;
    });
  }

  /**
   * What the mirror holds for a project (found by GUID, or by name inside the directory) before a
   * run changes it: the smart sync's change test compares against this.
   */
  async knownElevations(projectRef: string, directoryPath: string): Promise<KnownElevation[]> {
    const project = await this.lookups.project(projectRef, directoryPath);
    if (!project) return [];
    const rows = await this.db.reader
      .getRepository(Elevation)
      .createQueryBuilder('e')
      .innerJoin(Phase, 'ph', 'ph.id = e.phaseId')
      .select([
        'e.logikalId AS "logikalId"',
        'ph.logikalId AS "phaseLogikalId"',
        'e.versionId AS "versionId"',
        'e.logikalChangedAt AS "changedAt"',
        'e.thumbnailSha256 AS "thumbnailSha256"',
        'e.partsListSha256 AS "partsListSha256"',
        'e.partsListSourceKey AS "partsListSourceKey"',
        'e.parseStatus AS "parseStatus"',
        'e.partsListSyncedAt AS "partsListSyncedAt"',
        'e.lastSyncedAt AS "lastSyncedAt"',
      ])
      .where('e.projectId = :id', { id: project.id })
      .getRawMany<Record<string, unknown>>();
    return rows.map((r) => ({
      logikalId: String(r.logikalId),
      phaseLogikalId: String(r.phaseLogikalId),
      versionId: (r.versionId as string | null) ?? null,
      changedAt: r.changedAt ? Math.round(rawUtc(r.changedAt).getTime() / 1000) : null,
      thumbnailSha256: (r.thumbnailSha256 as string | null) ?? null,
      partsListSha256: (r.partsListSha256 as string | null) ?? null,
      partsListSourceKey: (r.partsListSourceKey as string | null) ?? null,
      parseStatus: String(r.parseStatus),
      partsListSyncedAt: r.partsListSyncedAt ? rawUtc(r.partsListSyncedAt).getTime() : null,
      lastSyncedAt: r.lastSyncedAt ? rawUtc(r.lastSyncedAt).getTime() : null,
    }));
  }

  /**
   * Stores a downloaded, parsed parts list: file, hash, parsed fields and glass rows in ONE
   * transaction, so a crash leaves either the old parse or the new one, never a mix, and a reader
   * never sees the elevation between its glass rows' delete and insert.
   */
  async storePartsList(elevationId: number, bytes: Buffer, hash: string, parsed: ParsedPartsList, sourceKey: string): Promise<void> {
    const el = parsed.elevation;
    const glassRows = parsed.glass.map((g) => ({ elevationId, ...g }));
    await this.db.write(async (m) => {
      const repo = m.getRepository(Elevation);
      const before = await repo.findOne({ where: { id: elevationId }, select: { id: true, partsListFileId: true } });
      const files = new FileStore(m, this.db.dialect);
      const partsListFileId = await files.put(bytes, hash);
      await repo.update(
        { id: elevationId },
        {
          partsListFileId,
          partsListSha256: hash,
          partsListSize: bytes.length,
          partsListSyncedAt: new Date(),
          partsListSourceKey: sourceKey,
          autoDescription: el.autoDescription,
          autoDescriptionShort: el.autoDescriptionShort,
          widthOut: el.widthOut,
          widthUnit: el.widthUnit,
          heightOut: el.heightOut,
          heightUnit: el.heightUnit,
          weightOut: el.weightOut,
          weightUnit: el.weightUnit,
          areaOutput: el.areaOutput,
          areaUnit: el.areaUnit,
          systemCode: el.systemCode,
          systemName: el.systemName,
          systemLongName: el.systemLongName,
          colorBaseLong: el.colorBaseLong,
          partsCount: parsed.partsCount,
          parseStatus: 'success',
          parseError: null,
        },
      );
      const glass = m.getRepository(ElevationGlass);
      await glass.delete({ elevationId });
      if (glassRows.length) await glass.insert(glassRows);
      if (before?.partsListFileId && before.partsListFileId !== partsListFileId) await files.releaseIfUnused(before.partsListFileId);
    });
  }

  /** Same file as stored: only the sync time moves. */
  async touchPartsList(elevationId: number, sourceKey: string): Promise<void> {
    await this.db.write((m) =>
      m.getRepository(Elevation).update({ id: elevationId }, { partsListSyncedAt: new Date(), partsListSourceKey: sourceKey }),
    );
  }
}

async function upsertDirectory(m: EntityManager, path: string, name?: string): Promise<number> {
  const parent = parentPath(path);
  const parentId = parent ? await upsertDirectory(m, parent) : null;
  const repo = m.getRepository(Directory);
  const existing = await repo.findOneBy({ path });
  const leaf = name ?? path.slice(path.lastIndexOf('/') + 1);
  if (existing) {
    await repo.update({ id: existing.id }, { parentId, active: true, lastSyncedAt: new Date(), ...(name ? { name } : {}) });
    return existing.id;
  }
  await repo.upsert({ path, name: leaf, parentId, active: true, lastSyncedAt: new Date() }, ['path']);
  return (await repo.findOneByOrFail({ path })).id;
}
