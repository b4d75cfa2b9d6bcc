import { useState } from 'preact/hooks';
import { api, Delivery, ManualSend, refusalOf } from './api';
import type { ViewProps } from './main';
import type { SendResult } from './send-outcome';

/**
 * Sends a notification again, after a confirmation, under its own webhook-id. The API refuses
 * (409) one still on its retry schedule or not sent at all; its words are shown as they are.
 */
export function useResend({ confirm, fail, report }: Pick<ViewProps, 'confirm' | 'fail' | 'report'>, onSent: () => void) {
  const [result, setResult] = useState<SendResult | null>(null);

  const resend = async (row: Delivery) => {
    const detail = `It is sent once more to ${row.url}, signed anew, with the same webhook-id (${row.eventId}), so a merchant that has it already can tell it is the same.`;
    if (!(await confirm(`Resend the notification of order ${row.orderId}?`, detail, 'Resend'))) return;
    const title = `Resend of ${row.eventId}`;
    try {
      const answer = await api<ManualSend>('POST', `/admin/notifications/${encodeURIComponent(row.eventId)}/resend`);
      setResult({ title, answer });
      report({ kind: answer.delivered ? 'done' : 'error', text: `Resent notification ${row.eventId}: ${answer.delivered ? 'delivered' : 'not delivered'}.` });
      onSent();
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) setResult({ title, refusal });
      else fail(error);
    }
  };
  return { resend, result };
}
