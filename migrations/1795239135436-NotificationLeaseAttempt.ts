import { MigrationInterface, QueryRunner } from "typeorm";

export class NotificationLeaseAttempt1795239135436 implements MigrationInterface {
    name = 'NotificationLeaseAttempt1795239135436'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "notifications" ADD "lease_attempt" integer`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "notifications" DROP COLUMN "lease_attempt"`);
    }

}
