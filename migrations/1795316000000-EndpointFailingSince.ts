import { MigrationInterface, QueryRunner } from "typeorm";

export class EndpointFailingSince1795316000000 implements MigrationInterface {
    name = 'EndpointFailingSince1795316000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" ADD "failing_since" TIMESTAMP WITH TIME ZONE`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "endpoints" DROP COLUMN "failing_since"`);
    }

}
