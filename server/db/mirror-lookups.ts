import { IsNull, type EntityManager } from 'typeorm';
import { Directory, Elevation, Phase, Project } from '../../entities';
import { isGuid } from '../guid';

/** The mirror's lookups by natural key, on whichever manager the caller reads or writes with. */
export class MirrorLookups {
  constructor(private readonly m: () => EntityManager) {}

  /** A project by its GUID, or by its name inside a directory (names are unique only there). */
  project(ref: string, directoryPath: string): Promise<Project | null> {
    const repo = this.m().getRepository(Project);
    if (isGuid(ref)) return repo.findOneBy({ logikalId: ref.toLowerCase() });
    return repo
      .createQueryBuilder('p')
      .innerJoin(Directory, 'd', 'd.id = p.directoryId')
      .where('p.name = :n AND d.path = :dp', { n: ref, dp: directoryPath })
      .getOne();
  }

  /** A project by its name or GUID anywhere in the mirror (sync.runs' filter). */
  projectByNameOrGuid(ref: string): Promise<Project | null> {
    return this.m()
      .getRepository(Project)
      .findOne({ where: [{ name: ref }, { logikalId: ref.toLowerCase() }] });
  }

  /** Every project LogiKal still lists, with its directory path (the nightly's work list). */
  async activeProjects(): Promise<Array<{ logikalId: string; name: string; directoryPath: string }>> {
    const rows = await this.m()
      .getRepository(Project)
      .createQueryBuilder('p')
      .innerJoin(Directory, 'd', 'd.id = p.directoryId')
      .select(['p.logikalId AS "logikalId"', 'p.name AS "name"', 'd.path AS "directoryPath"'])
      .where('p.active = :active', { active: true })
      .orderBy('p.id', 'ASC')
      .getRawMany<{ logikalId: string; name: string; directoryPath: string }>();
    return rows;
  }

  projectById(id: number): Promise<Project | null> {
    return this.m().getRepository(Project).findOneBy({ id });
  }

  directory(path: string): Promise<Directory | null> {
    return this.m().getRepository(Directory).findOneBy({ path });
  }

  /** The directory path a stored project lives in, if the mirror knows it. */
  async directoryOf(project: Project): Promise<Directory | null> {
    return project.directoryId ? this.m().getRepository(Directory).findOneBy({ id: project.directoryId }) : null;
  }

  /**
   * How many active rows a complete listing of this parent would retire if it came back empty: the
   * sync confirms such an empty listing before believing it.
   */
  async activeChildren(
    parent: { phasesOf: number } | { elevationsOf: number } | { projectsIn: number } | { directoriesUnder: string | null },
  ): Promise<number> {
    const m = this.m();
    if ('phasesOf' in parent) return m.getRepository(Phase).countBy({ projectId: parent.phasesOf, active: true });
    if ('elevationsOf' in parent) return m.getRepository(Elevation).countBy({ phaseId: parent.elevationsOf, active: true });
    if ('projectsIn' in parent) return m.getRepository(Project).countBy({ directoryId: parent.projectsIn, active: true });
    const under = parent.directoriesUnder === null ? null : await this.directory(parent.directoriesUnder);
    if (parent.directoriesUnder !== null && !under) return 0;
    return m.getRepository(Directory).countBy({ parentId: under ? under.id : IsNull(), active: true });
  }
}
