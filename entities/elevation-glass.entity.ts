import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Elevation } from './elevation.entity';

/** One row of the parts list's Glass table that belongs to the elevation. Replaced on every parse. */
@Entity('elevation_glass')
export class ElevationGlass {
  @PrimaryGeneratedColumn({ type: 'integer', primaryKeyConstraintName: 'pk_elevation_glass' })
  id!: number;

  @Index('ix_elevation_glass_elevation_id')
  @Column({ type: 'integer' })
  elevationId!: number;

  @ManyToOne(() => Elevation, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'elevation_id', foreignKeyConstraintName: 'fk_elevation_glass_elevation' })
  elevation?: Elevation;

  @Column({ type: 'varchar', length: 64 })
  glassId!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  nameShort!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text', nullable: true })
  configuration!: string | null;

  @Column({ type: 'text', nullable: true })
  info1!: string | null;

  @Column({ type: 'text', nullable: true })
  info2!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  origin!: string | null;

  @Column({ type: 'double precision', nullable: true })
  price!: number | null;

  @Column({ type: 'double precision', nullable: true })
  widthOutput!: number | null;

  @Column({ type: 'double precision', nullable: true })
  heightOutput!: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  fieldNo!: string | null;

  @Column({ type: 'double precision', nullable: true })
  areaOffer!: number | null;

  @Column({ type: 'double precision', nullable: true })
  spacerGapOutput!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  modelType!: string | null;
}
