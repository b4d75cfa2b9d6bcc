/** Times in the viewer's own time zone and locale; the ISO value stays in the element's title and datetime. */
const FORMAT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** To the millisecond, for a timeline whose steps are often within one second. */
const PRECISE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3 });

export function localTime(iso: string | null | undefined, precise = false): string {
  return iso ? (precise ? PRECISE : FORMAT).format(new Date(iso)) : '—';
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

const pad = (value: number) => String(value).padStart(2, '0');

/** An instant as a datetime-local input shows it: the viewer's own time, to the second; '' stays ''. */
export function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** What a datetime-local input holds (the viewer's local time) as an instant; '' stays ''. */
export function fromLocalInput(local: string): string {
  const date = new Date(local);
  return local && !Number.isNaN(date.getTime()) ? date.toISOString() : '';
}

/** An amount in the currency's minor units (2 for CNY, 0 for JPY), as the API counts money. */
export function money(amount: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat(undefined, { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // An unknown code: two decimals, as most currencies have.
  }
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}
