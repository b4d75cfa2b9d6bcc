/**
 * The ops API as the console calls it. The admin token lives in sessionStorage: it stays
 * for the tab, is gone when the tab closes, and is never put in a URL.
 */
import type { Health } from './api-types';

export type * from './api-types';

const TOKEN_KEY = 'backstop-admin-token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token.get() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const parsed = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, `${response.status}: ${describe(parsed)}`, parsed);
  return parsed as T;
}

function describe(body: any): string {
  const message = body?.message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  if (message && typeof message === 'object') return JSON.stringify(message);
  return 'no answer';
}

export function query(parameters: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(parameters)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** /health/ready answers 503 with what is down: both answers are a reading, not an error. */
export async function health(): Promise<Health | null> {
  try {
    const response = await fetch('/health/ready');
    const body = await response.json();
    return response.ok ? { database: body.database, broker: body.broker } : body.message;
  } catch {
    return null;
  }
}

/**
 * The API's own words for a refused request (400, 404, 409, 422, …), for the form or panel
 * that asked; null for what the caller's `fail` handles instead (a refused token, no answer).
 */
export function refusalOf(error: unknown): string | null {
  return error instanceof ApiError && error.status !== 401 ? error.message : null;
}
