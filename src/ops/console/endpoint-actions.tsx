import { useState } from 'preact/hooks';
import { api, CountAnswer, Endpoint } from './api';
import { EndpointSettings } from './endpoint-settings';
import type { ViewProps } from './main';
import { Time } from './time';

/** The circuit's state and, when it is not closed, what happens next and when. */
export function CircuitState({ endpoint }: { endpoint: Endpoint }) {
  return (
    <>
      <span class={`badge state-${endpoint.state.toLowerCase()}`} data-testid="endpoint-state">{endpoint.state}</span>
      {endpoint.disabledReason && <div class="muted">{endpoint.disabledReason}</div>}
      {endpoint.state === 'OPEN' && endpoint.cooldownEndsAt && (
        <div class="muted" data-testid="circuit-times">
          {Date.parse(endpoint.cooldownEndsAt) > Date.now() ? 'Cooldown ends' : 'Cooldown ended'} <Time at={endpoint.cooldownEndsAt} />: the first attempt from then on is the probe.
          {endpoint.openedAt && <> Opened <Time at={endpoint.openedAt} />.</>}
        </div>
      )}
      {endpoint.state === 'HALF_OPEN' && (
        <div class="muted" data-testid="circuit-times">
          Probe sent <Time at={endpoint.probeSentAt} />: its answer closes the circuit or opens it again.
        </div>
      )}
    </>
  );
}

interface Props extends Pick<ViewProps, 'report' | 'fail' | 'confirm'> {
  endpoint: Endpoint;
  onChanged: () => void;
}

/**
 * What applies to the endpoint in its state: a DISABLED one is enabled; an ACTIVE one can have
 * what it missed re-run; an OPEN or HALF_OPEN circuit closes by itself after a successful probe
 * and re-runs then what failed while it was open, so neither is offered there. Settings apply always.
 */
export function EndpointActions({ endpoint, report, fail, confirm, onChanged }: Props) {
  const [since, setSince] = useState('');

  const enable = async () => {
    try {
      const answer = await api<Endpoint>('POST', `/admin/endpoints/${endpoint.id}/enable`);
      report({ kind: 'done', text: `${endpoint.origin} is ${answer.state} again.` });
      onChanged();
    } catch (error) { fail(error); }
  };
  const recover = async (event: Event) => {
    event.preventDefault();
    if (!since) return;
    const from = new Date(since);
    if (!(await confirm(`Recover ${endpoint.origin}?`, `Every failed notification to it whose first failure is at or after ${from.toLocaleString()} is re-run, oldest first.`, 'Recover'))) return;
    try {
      const { count } = await api<CountAnswer>('POST', `/admin/endpoints/${endpoint.id}/recover`, { since: from.toISOString() });
      report({ kind: 'done', text: `Re-running ${count} failed notification${count === 1 ? '' : 's'} to ${endpoint.origin}.` });
      onChanged();
    } catch (error) { fail(error); }
  };

  return (
    <div class="row-actions">
      {endpoint.state === 'DISABLED' && <button type="button" onClick={enable} aria-label={`Enable ${endpoint.origin}`}>Enable</button>}
      {endpoint.state === 'ACTIVE' && (
        <form class="recover" onSubmit={recover}>
          <label>Recover since <input type="datetime-local" step={1} required value={since} onInput={(event) => setSince(event.currentTarget.value)} /></label>
          <button type="submit">Recover</button>
        </form>
      )}
      {(endpoint.state === 'OPEN' || endpoint.state === 'HALF_OPEN') && (
        <p class="muted note">Closes by itself once a probe gets through, and then re-runs what failed while it was open.</p>
      )}
      <EndpointSettings endpoint={endpoint} report={report} fail={fail} onChanged={onChanged} />
    </div>
  );
}
