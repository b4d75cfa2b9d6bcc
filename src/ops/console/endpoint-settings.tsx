import { useState } from 'preact/hooks';
import { api, Endpoint } from './api';
import type { NoticeValue } from './notice';

interface Props {
  endpoint: Endpoint;
  report: (notice: NoticeValue) => void;
  fail: (error: unknown) => void;
  onChanged: () => void;
}

/** Sends only what was changed, and shows the API's answer, a refusal included. */
export function EndpointSettings({ endpoint, report, fail, onChanged }: Props) {
  const [concurrency, setConcurrency] = useState(String(endpoint.concurrency));
  const [rateLimit, setRateLimit] = useState(endpoint.rateLimit === undefined || endpoint.rateLimit === null ? '' : String(endpoint.rateLimit));
  const [successRule, setSuccessRule] = useState(endpoint.successRule);

  const save = async (event: Event) => {
    event.preventDefault();
    const body: Record<string, unknown> = {};
    if (successRule !== endpoint.successRule) body.successRule = successRule;
    if (concurrency !== '' && Number(concurrency) !== endpoint.concurrency) body.concurrency = Number(concurrency);
    const currentRate = endpoint.rateLimit ?? null;
    const wantedRate = rateLimit === '' ? null : Number(rateLimit);
    if (wantedRate !== currentRate) body.rateLimit = wantedRate;
    if (Object.keys(body).length === 0) return report({ kind: 'done', text: `Nothing changed for ${endpoint.origin}.` });
    try {
      await api<Endpoint>('PUT', `/admin/endpoints/${endpoint.id}`, body);
      report({ kind: 'done', text: `Saved ${Object.keys(body).join(', ')} for ${endpoint.origin}.` });
      onChanged();
    } catch (error) { fail(error); }
  };

  return (
    <details class="settings">
      <summary>Settings</summary>
      <form onSubmit={save}>
        {/* Labels wrap their fields: the same endpoint's settings can be on the page twice (its row and its details). */}
        <label>Concurrency (1–100)
          <input type="number" min={1} max={100} value={concurrency} onInput={(event) => setConcurrency(event.currentTarget.value)} />
        </label>
        <label>Rate limit (per second, empty: none)
          <input type="number" min={1} value={rateLimit} onInput={(event) => setRateLimit(event.currentTarget.value)} />
        </label>
        <label>Success rule
          <select value={successRule} onChange={(event) => setSuccessRule(event.currentTarget.value as Endpoint['successRule'])}>
            <option value="body">body: the answer is "success"</option>
            <option value="2xx">2xx: any 2xx answer</option>
          </select>
        </label>
        <button type="submit">Save settings</button>
      </form>
    </details>
  );
}
