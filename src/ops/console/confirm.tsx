import { useRef, useState } from 'preact/hooks';

interface Question {
  title: string;
  detail: string;
  action: string;
  resolve: (yes: boolean) => void;
}

/**
 * Asks before an action that touches more than one message or cannot be undone. A native
 * <dialog> opened with showModal: focus moves into it, Escape cancels, and the page behind
 * cannot be reached.
 */
export function useConfirm() {
  const [question, setQuestion] = useState<Question | null>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  const confirm = (title: string, detail: string, action: string) =>
    new Promise<boolean>((resolve) => {
      setQuestion({ title, detail, action, resolve });
      requestAnimationFrame(() => dialog.current?.showModal());
    });

  const answer = (yes: boolean) => {
    dialog.current?.close();
    question?.resolve(yes);
    setQuestion(null);
  };

  const element = (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={() => answer(false)}>
      {question && (
        <form method="dialog" onSubmit={(event) => { event.preventDefault(); answer(true); }}>
          <h2 id="confirm-title">{question.title}</h2>
          <p>{question.detail}</p>
          <div class="actions">
            <button type="button" onClick={() => answer(false)}>Cancel</button>
            <button type="submit" class="primary" autoFocus>{question.action}</button>
          </div>
        </form>
      )}
    </dialog>
  );
  return { confirm, element };
}
