import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How many points 100 minor units of a currency earn; set by the loyalty team. */
@Entity('point_rates')
export class PointRate {
  @PrimaryColumn({ type: 'text' })
  currency: string;

  @Column({ name: 'points_per_hundred', type: 'int' })
  pointsPerHundred: number;
}
