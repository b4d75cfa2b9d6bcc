/**
 * The opaque cursor of a list ordered by (time, id), newest first: where the page left off.
 * Answers undefined for a cursor this API did not hand out, for the caller to refuse.
 */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

export function decodeCursor(cursor: string, idPattern: RegExp): [at: string, id: string] | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && !Number.isNaN(Date.parse(value[0])) && idPattern.test(String(value[1]))) {
      return value as [string, string];
    }
  } catch {
    /* not one of ours */
  }
  return undefined;
}
