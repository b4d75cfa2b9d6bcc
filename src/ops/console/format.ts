/** Times in the viewer's own time zone and locale; the ISO value stays in the element's title and datetime. */
const FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function localTime(iso: string | null | undefined): string {
  return iso ? FORMAT.format(new Date(iso)) : '—';
}

export function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n')[0];
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${Math.round((100 * part) / whole)}%`;
}

export function pretty(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
