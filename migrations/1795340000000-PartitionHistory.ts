import { MigrationInterface, QueryRunner } from "typeorm";

/** A history table to partition by day: its time column, and its primary key (which must then also hold the time). */
interface HistoryTable {
    table: string;
    time: string;
    key: string[];
}

const HISTORY: HistoryTable[] = [
    { table: 'processed_messages', time: 'processed_at', key: ['handler', 'message_id'] },
    { table: 'deliveries', time: 'attempted_at', key: ['id'] },
];
const DAYS_AHEAD = 7;

/**
 * processed_messages and deliveries become tables partitioned by day, so that retention
 * drops a day whole instead of deleting its rows one by one (docs/operations.md#partitions).
 *
 * Safe on a live database with months of rows: nothing is copied and no lock is held for
 * longer than a few catalog changes.
 * 1. Outside any transaction, beside the running platform: the new primary key's index is
 *    built CONCURRENTLY, and a CHECK that every row is older than the first partition
 *    (`cutoff`, the day after tomorrow) is added NOT VALID and then validated, which reads
 *    the table without blocking writers.
 * 2. In one short transaction: the table is renamed `<table>_legacy`, its primary key
 *    swapped for that index, a partitioned table made in its place with the same columns and
 *    indexes, and the old table ATTACHed as the partition of everything before `cutoff`.
 *    The validated CHECK spares ATTACH its scan, and the indexes already there are adopted,
 *    not rebuilt. Day partitions follow from `cutoff` on.
 * The legacy partition is dropped by retention once all of it is older than the retention,
 * like any other. A table found empty is simply replaced. A run cut short runs again.
 */
export class PartitionHistory1795340000000 implements MigrationInterface {
    name = 'PartitionHistory1795340000000'
    transaction = false

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const history of HISTORY) await this.partition(queryRunner, history);
    }

    private async partition(queryRunner: QueryRunner, { table, time, key }: HistoryTable): Promise<void> {
        const [{ kind }] = await queryRunner.query(`SELECT relkind AS kind FROM pg_class WHERE oid = $1::regclass`, [table]);
        if (kind === 'p') return;
        const [{ oldPrimaryKey }] = await queryRunner.query(`SELECT conname AS "oldPrimaryKey" FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`, [table]);
        const [{ cutoff }] = await queryRunner.query(`SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC') + interval '2 days', 'YYYY-MM-DD') || ' 00:00:00+00' AS cutoff`);
        const keyIndex = `${table}_partition_key`;
        const check = `${table}_before_partitions`;

        // 1. Beside the running platform. An index left invalid by a build cut short is built again.
        const invalid = await queryRunner.query(`SELECT 1 FROM pg_index WHERE indexrelid = to_regclass($1) AND NOT indisvalid`, [keyIndex]);
        if (invalid.length > 0) await queryRunner.query(`DROP INDEX CONCURRENTLY "${keyIndex}"`);
        await queryRunner.query(`CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "${keyIndex}" ON "${table}" (${[...key, time].map((column) => `"${column}"`).join(', ')})`);
        await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT IF EXISTS "${check}"`);
        await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${check}" CHECK ("${time}" < '${cutoff}') NOT VALID`);
        await queryRunner.query(`ALTER TABLE "${table}" VALIDATE CONSTRAINT "${check}"`);

        // 2. The switch, in a few milliseconds of catalog changes.
        await queryRunner.startTransaction();
        try {
            await queryRunner.query(`SET LOCAL lock_timeout = '30s'`);
            const indexes: { name: string; definition: string }[] = await queryRunner.query(
                `SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname NOT IN ($2, $3)`,
                [table, oldPrimaryKey, keyIndex],
            );
            await queryRunner.query(`ALTER TABLE "${table}" RENAME TO "${table}_legacy"`);
            await queryRunner.query(`ALTER TABLE "${table}_legacy" DROP CONSTRAINT "${oldPrimaryKey}"`);
            await queryRunner.query(`ALTER TABLE "${table}_legacy" ADD CONSTRAINT "${table}_legacy_pkey" PRIMARY KEY USING INDEX "${keyIndex}"`);
            for (const index of indexes) await queryRunner.query(`ALTER INDEX "${index.name}" RENAME TO "${index.name}_legacy"`);

            await queryRunner.query(`CREATE TABLE "${table}" (LIKE "${table}_legacy" INCLUDING DEFAULTS INCLUDING STORAGE) PARTITION BY RANGE ("${time}")`);
            await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${table}_pkey" PRIMARY KEY (${[...key, time].map((column) => `"${column}"`).join(', ')})`);
            // pg_indexes' own definitions, naming the table, which is now the partitioned one.
            for (const index of indexes) await queryRunner.query(index.definition);
            // A serial's sequence belongs to its column: it moves to the new table before the old one can go.
            const sequences: { name: string }[] = await queryRunner.query(
                `SELECT s.relname AS name FROM pg_depend d JOIN pg_class s ON s.oid = d.objid
                  WHERE d.refobjid = $1::regclass AND d.deptype = 'a' AND s.relkind = 'S'`,
                [`${table}_legacy`],
            );
            for (const sequence of sequences) await queryRunner.query(`ALTER SEQUENCE "${sequence.name}" OWNED BY "${table}"."id"`);

            const [{ empty }] = await queryRunner.query(`SELECT NOT EXISTS (SELECT 1 FROM "${table}_legacy") AS empty`);
            let firstDay: string;
            if (empty) {
                await queryRunner.query(`DROP TABLE "${table}_legacy"`);
                [{ firstDay }] = await queryRunner.query(`SELECT to_char(date_trunc('day', now() AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS "firstDay"`);
            } else {
                await queryRunner.query(`ALTER TABLE "${table}" ATTACH PARTITION "${table}_legacy" FOR VALUES FROM (MINVALUE) TO ('${cutoff}')`);
                firstDay = cutoff.slice(0, 10);
            }
            // Named and bounded as TimePartitions (src/database/time-partitions.ts) makes the later ones.
            const days: { suffix: string; from: string; to: string }[] = await queryRunner.query(
                `SELECT to_char(day, 'YYYYMMDD') AS suffix, to_char(day, 'YYYY-MM-DD') AS "from", to_char(day + interval '1 day', 'YYYY-MM-DD') AS "to"
                   FROM generate_series($1::date, (now() AT TIME ZONE 'UTC')::date + $2::int, interval '1 day') AS day`,
                [firstDay, DAYS_AHEAD],
            );
            for (const { suffix, from, to } of days) {
                await queryRunner.query(`CREATE TABLE "${table}_p${suffix}" PARTITION OF "${table}" FOR VALUES FROM ('${from} 00:00:00+00') TO ('${to} 00:00:00+00')`);
            }
            await queryRunner.commitTransaction();
        } catch (error) {
            await queryRunner.rollbackTransaction();
            throw error;
        }
    }

    // Back to plain tables, copying every row: for a development database, not a live one.
    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const { table, key } of [...HISTORY].reverse()) {
            const indexes: { name: string; definition: string }[] = await queryRunner.query(
                `SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1 AND indexname <> $2`,
                [table, `${table}_pkey`],
            );
            await queryRunner.query(`CREATE TABLE "${table}_plain" (LIKE "${table}" INCLUDING DEFAULTS INCLUDING STORAGE)`);
            await queryRunner.query(`INSERT INTO "${table}_plain" SELECT * FROM "${table}"`);
            const sequences: { name: string }[] = await queryRunner.query(
                `SELECT s.relname AS name FROM pg_depend d JOIN pg_class s ON s.oid = d.objid WHERE d.refobjid = $1::regclass AND d.deptype = 'a' AND s.relkind = 'S'`,
                [table],
            );
            for (const sequence of sequences) await queryRunner.query(`ALTER SEQUENCE "${sequence.name}" OWNED BY "${table}_plain"."id"`);
            await queryRunner.query(`DROP TABLE "${table}"`);
            await queryRunner.query(`ALTER TABLE "${table}_plain" RENAME TO "${table}"`);
            await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${table}_pkey" PRIMARY KEY (${key.map((column) => `"${column}"`).join(', ')})`);
            for (const index of indexes) await queryRunner.query(index.definition);
        }
    }
}
