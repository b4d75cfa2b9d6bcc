import { localTime } from './format';

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span>—</span>;
  return (
    <time dateTime={at} title={at}>
      {localTime(at)}
    </time>
  );
}
