/** What the last action did, or why it failed; a live region so screen readers hear it too. */
export interface NoticeValue {
  kind: 'done' | 'error';
  text: string;
}

export function Notice({ notice }: { notice: NoticeValue | null }) {
  return (
    <p role="status" aria-live="polite" class={`notice ${notice?.kind ?? ''}`}>
      {notice?.text ?? ''}
    </p>
  );
}
