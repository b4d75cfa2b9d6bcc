import { useState } from 'preact/hooks';
import { api, ManualSend, refusalOf } from './api';
import { SendOutcome, SendResult } from './send-outcome';

interface Props {
  merchantId: string;
  fail: (error: unknown) => void;
  onSent: () => void;
}

/** Sends the merchant a signed `ping`, to the URL given or to its latest order's notifyUrl, and shows how it went. */
export function MerchantTestEvent({ merchantId, fail, onSent }: Props) {
  const [url, setUrl] = useState('');
  const [sending, setSending] = useState(false);
  const [result, setResult] = useState<SendResult | null>(null);
  const title = `Test event to ${merchantId}`;

  const send = async (event: Event) => {
    event.preventDefault();
    setSending(true);
    setResult(null);
    try {
      const target = url.trim();
      const answer = await api<ManualSend>('POST', `/admin/merchants/${encodeURIComponent(merchantId)}/test`, target ? { url: target } : {});
      setResult({ title, answer });
      onSent();
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) setResult({ title, refusal });
      else fail(error);
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <form class="inline-form" onSubmit={send}>
        <label>Test URL (empty: its latest order's notifyUrl)
          <input type="url" maxLength={2048} placeholder="https://shop.example/notify" value={url} onInput={(event) => setUrl(event.currentTarget.value)} />
        </label>
        <button type="submit" disabled={sending}>{sending ? 'Sending…' : 'Send test event'}</button>
      </form>
      <SendOutcome result={result} />
    </>
  );
}
