import { useState } from 'preact/hooks';

/**
 * Puts `text` on the clipboard. Where the browser allows no copying (a page not served over
 * HTTPS), the text is shown selected in a prompt-free field instead, to copy by hand.
 */
export function CopyButton({ text, label, children = 'Copy' }: { text: string; label: string; children?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'manual'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('manual');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="copy-button" onClick={copy} aria-label={label} title={label}>{state === 'copied' ? 'Copied' : children}</button>
      {state === 'manual' && (
        <input class="copy-manual" readOnly value={text} aria-label={`${label}: select and copy`} ref={(input) => input?.select()} onBlur={() => setState('idle')} />
      )}
    </span>
  );
}

/**
 * An id on one line, cut with an ellipsis where there is no room (its whole value in the title
 * and on the clipboard), a link when it opens something, and a copy button beside it.
 */
export function Id({ value, href, kind }: { value: string; href?: string; kind: string }) {
  const text = href ? <a class="id" href={href} title={value}>{value}</a> : <code class="id" title={value}>{value}</code>;
  return (
    <span class="id-with-copy" data-testid={`${kind}-id`}>
      {text}
      <CopyButton text={value} label={`Copy ${kind} id ${value}`} />
    </span>
  );
}

/** A curl command for an API call; an ops call's token stays a variable, never written into the page. */
export function curlOf(method: string, path: string, { body, admin = true }: { body?: unknown; admin?: boolean } = {}): string {
  const url = `${location.origin}${path}`;
  const parts = ['curl'];
  if (admin) parts.push('-H', '"Authorization: Bearer $ADMIN_TOKEN"');
  if (method !== 'GET') parts.push('-X', method);
  if (body !== undefined) parts.push('-H', "'content-type: application/json'", '-d', `'${JSON.stringify(body).replace(/'/g, "'\\''")}'`);
  parts.push(`'${url.replace(/'/g, "'\\''")}'`);
  return parts.join(' ');
}
