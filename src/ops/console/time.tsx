import { localTime } from './format';

export function Time({ at, precise = false }: { at: string | null | undefined; precise?: boolean }) {
  if (!at) return <span>—</span>;
  return (
    <time dateTime={at} title={at}>
      {localTime(at, precise)}
    </time>
  );
}
