import type { ManualSend } from './api';

/** What a request sent by hand came to, or why the API refused to send it. */
export type SendResult = { title: string; answer: ManualSend } | { title: string; refusal: string };

/** The outcome of a test event or a resend: delivered or not, HTTP status, duration, the answer's start, the error. */
export function SendOutcome({ result }: { result: SendResult | null }) {
  if (!result) return null;
  if ('refusal' in result) {
    return (
      <div class="outcome" data-testid="send-outcome">
        <h4>{result.title}</h4>
        <p role="alert" class="notice error">{result.refusal}</p>
      </div>
    );
  }
  const { answer } = result;
  return (
    <div class="outcome" data-testid="send-outcome" role="status">
      <h4>{result.title}</h4>
      <dl class="facts">
        <dt>Outcome</dt>
        <dd><span class={`badge ${answer.delivered ? 'resolved' : 'failed'}`}>{answer.delivered ? 'delivered' : 'not delivered'}</span></dd>
        <dt>URL</dt><dd>{answer.url}</dd>
        <dt>webhook-id</dt><dd><code>{answer.webhookId}</code></dd>
        <dt>HTTP status</dt><dd>{answer.status ?? 'no answer'}</dd>
        <dt>Duration</dt><dd>{answer.durationMs} ms</dd>
        <dt>Answer</dt><dd>{answer.snippet ? <pre class="inline">{answer.snippet}</pre> : '—'}</dd>
        {answer.error && (<><dt>Error</dt><dd><code>{answer.error}</code></dd></>)}
      </dl>
    </div>
  );
}
