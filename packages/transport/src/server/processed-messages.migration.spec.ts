import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateProcessedMessages1700000000000, PROCESSED_MESSAGES_DDL } from './processed-messages.migration';

describe('the processed_messages schema', () => {
  it('is the same in the SQL file and in the migration', () => {
    const file = readFileSync(join(__dirname, '..', '..', 'sql', 'processed_messages.sql'), 'utf8');
    const statements = file
      .split('\n')
      .filter((line) => !line.startsWith('--') && line.trim() !== '')
      .join('\n')
      .split(';')
      .map((statement) => statement.trim())
      .filter(Boolean);
    expect(statements).toEqual(PROCESSED_MESSAGES_DDL);
  });

  it('is a migration TypeORM can order: its name ends in a timestamp', () => {
    expect(new CreateProcessedMessages1700000000000().name).toMatch(/\d{13}$/);
  });

  it('runs each statement once, in order', async () => {
    const queries: string[] = [];
    await new CreateProcessedMessages1700000000000().up({ query: async (sql: string) => void queries.push(sql) } as never);
    expect(queries).toEqual(PROCESSED_MESSAGES_DDL);
  });
});
