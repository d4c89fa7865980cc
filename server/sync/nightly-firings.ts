import { NightlyFiring } from '../../entities';
import type { Db } from '../db/db';

/**
 * nightly_firings: each firing of the schedule claimed once across every instance by its fire
 * time (the primary key), and what became of it.
 */
export class NightlyFirings {
  constructor(
    private readonly db: Db,
    private readonly instance: string,
  ) {}

  /** Inserts the firing; false when another instance (or an earlier call) already has it. */
  async claim(fireAt: Date, source: string): Promise<boolean> {
    try {
      await this.db.write((m) =>
        m
          .getRepository(NightlyFiring)
          .insert({ fireAt, source, outcome: 'claimed', runId: null, instance: this.instance, recordedAt: new Date() }),
      );
      return true;
    } catch (err) {
      if (await this.get(fireAt)) return false;
      throw err;
    }
  }

  async record(fireAt: Date, outcome: 'started' | 'skipped', runId: number | null): Promise<void> {
    await this.db.write((m) => m.getRepository(NightlyFiring).update({ fireAt }, { outcome, runId }));
  }

  get(fireAt: Date): Promise<NightlyFiring | null> {
    return this.db.reader.getRepository(NightlyFiring).findOneBy({ fireAt });
  }

  /** The latest scheduled firing any instance recorded (a manual run is no firing of the schedule). */
  async latest(): Promise<Date | null> {
    const row = await this.db.reader
      .getRepository(NightlyFiring)
      .createQueryBuilder('f')
      .where("f.source <> 'manual'")
      .orderBy('f.fire_at', 'DESC')
      .limit(1)
      .getOne();
    return row?.fireAt ?? null;
  }
}
