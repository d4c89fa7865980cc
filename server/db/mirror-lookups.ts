import type { EntityManager } from 'typeorm';
import { Directory, Project } from '../../entities';
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
}
