import { useEffect, useRef, useState } from 'preact/hooks';
import { Time } from './time';

/** A secret the API has just handed out: held in the view's state only, never in any storage. */
export interface ShownSecret {
  merchantId: string;
  secret: string;
  /** Set after a rotation: until when the old secret signs too. */
  previousSecretExpiresAt?: string;
}

/**
 * Shows a merchant's new signing secret the one time the API gives it. Closing the panel, or
 * leaving the view, drops it: the API cannot show it again, and the console keeps no copy.
 */
export function SecretPanel({ shown, onClose }: { shown: ShownSecret; onClose: () => void }) {
  const [copyNote, setCopyNote] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const text = useRef<HTMLElement>(null);

  useEffect(() => {
    heading.current?.focus();
    setCopyNote('');
  }, [shown]);

  const selectText = () => {
    if (text.current) getSelection()?.selectAllChildren(text.current);
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(shown.secret);
      setCopyNote('Copied to the clipboard.');
    } catch {
      // No Clipboard API (not a secure context) or not allowed: the person copies it themselves.
      selectText();
      setCopyNote('The browser did not allow copying: the secret is selected, press Ctrl+C (⌘C on a Mac).');
    }
  };

  return (
    <section class="detail secret" aria-labelledby="secret-title">
      <div class="detail-head">
        <h3 id="secret-title" tabIndex={-1} ref={heading}>Signing secret of {shown.merchantId}</h3>
        <button type="button" onClick={onClose}>Close and forget the secret</button>
      </div>
      <p>
        <strong>It will not be shown again.</strong> Copy it now and give it to the merchant over a channel you trust.
        {shown.previousSecretExpiresAt && <> The previous secret signs too until <Time at={shown.previousSecretExpiresAt} />.</>}
      </p>
      <div class="secret-value">
        <code ref={text} data-testid="secret" onFocus={selectText} tabIndex={0} aria-label="Signing secret">{shown.secret}</code>
        <button type="button" class="primary" onClick={copy}>Copy</button>
      </div>
      <p role="status" class="muted">{copyNote}</p>
    </section>
  );
}
