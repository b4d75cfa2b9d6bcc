import { useId, useState } from 'preact/hooks';
import { api, Endpoint, EndpointSettingsBody } from './api';
import type { NoticeValue } from './notice';

interface Props {
  endpoint: Endpoint;
  report: (notice: NoticeValue) => void;
  fail: (error: unknown) => void;
  onChanged: () => void;
}

/**
 * Sends only what was changed, and shows the API's answer, a refusal included. The concurrency
 * field is the ops cap (`concurrency` in the request, null: none), so it starts from and is
 * compared with `concurrencyCap`: the endpoint's `concurrency` is how many may go at once at that
 * moment, and saving another setting must not freeze it into a cap.
 */
export function EndpointSettings({ endpoint, report, fail, onChanged }: Props) {
  const [cap, setCap] = useState(endpoint.concurrencyCap === undefined ? '' : String(endpoint.concurrencyCap));
  const [rateLimit, setRateLimit] = useState(endpoint.rateLimit === undefined ? '' : String(endpoint.rateLimit));
  const [successRule, setSuccessRule] = useState(endpoint.successRule);
  // The same endpoint's form can be on the page twice (its row and its details): ids must differ.
  const capHelp = useId();

  const save = async (event: Event) => {
    event.preventDefault();
    const body: EndpointSettingsBody = {};
    if (successRule !== endpoint.successRule) body.successRule = successRule;
    const wantedCap = cap === '' ? null : Number(cap);
    if (wantedCap !== (endpoint.concurrencyCap ?? null)) body.concurrency = wantedCap;
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
        <label>Concurrency cap (1–100, empty: none)
          <input type="number" min={1} max={100} value={cap} aria-describedby={capHelp} onInput={(event) => setCap(event.currentTarget.value)} />
        </label>
        <p class="muted note" id={capHelp}>
          Requests at once follow an adaptive limit (now {endpoint.adaptiveLimit}) learned from the endpoint's answers: answers at its usual
          speed raise it, slow ones and timeouts lower it. The cap bounds that limit: never more at once than the cap. Empty: the adaptive
          limit alone decides.
        </p>
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
