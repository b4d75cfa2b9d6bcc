import type { components } from './api-schema';
import { api, query } from './api';
import { CopyButton } from './copy';
import type { ViewProps } from './main';
import { hrefOf } from './router';
import { Time } from './time';
import { useAnswer } from './use-answer';

type FailureGroup = components['schemas']['FailureGroupView'];
type FailureGroupPage = components['schemas']['FailureGroupPage'];

/**
 * Failed messages grouped by handler, the shape of their error (ids, numbers and URLs
 * masked) and the endpoint they failed against: twelve "endpoint circuit open" failures are
 * one row, retried or discarded as one.
 */
export function GroupsView(props: ViewProps) {
  const { tick, fail, report, confirm } = props;
  const page = useAnswer(() => api<FailureGroupPage>('GET', `/admin/failure-groups${query({ status: 'FAILED' })}`), fail, [tick]);
  const groups = page?.items;

  const retry = async (group: FailureGroup) => {
    if (!(await confirm(`Retry ${group.count} messages?`, `Every FAILED message of ${group.handler} failing with “${group.fingerprint}” is re-run once; poison is left alone.`, `Retry ${group.count}`))) return;
    try {
      const { retried, skipped } = await api<{ retried: number; skipped: number }>('POST', `/admin/failure-groups/${group.key}/retry`);
      report({ kind: 'done', text: `Re-running ${retried} message${retried === 1 ? '' : 's'} of the group${skipped ? `; ${skipped} poison left alone` : ''}.` });
    } catch (error) { fail(error); }
  };
  const discard = async (group: FailureGroup) => {
    if (!(await confirm(`Discard ${group.count} messages?`, `Every FAILED message of ${group.handler} failing with “${group.fingerprint}” is set aside for good, with this reason.`, `Discard ${group.count}`))) return;
    try {
      const { discarded } = await api<{ discarded: number }>('POST', `/admin/failure-groups/${group.key}/discard`, { reason: `discarded as a group from the console: ${group.fingerprint}` });
      report({ kind: 'done', text: `Discarded ${discarded} message${discarded === 1 ? '' : 's'}.` });
    } catch (error) { fail(error); }
  };

  return (
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">Failure groups</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Handler</th><th scope="col">Error</th><th scope="col">Endpoint</th><th scope="col">Failed</th>
              <th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Samples</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {groups?.length === 0 && <tr><td colSpan={8}>Nothing has failed.</td></tr>}
            {groups?.map((group) => (
              <tr key={group.key} data-group={group.key}>
                <td data-label="Handler">{group.handler}</td>
                <td data-label="Error"><code>{group.fingerprint}</code></td>
                <td data-label="Endpoint" class="url">{group.endpoint ?? '—'}</td>
                <td data-label="Failed" class="count">{group.count}</td>
                <td data-label="First seen"><Time at={group.firstSeen} /></td>
                <td data-label="Last seen"><Time at={group.lastSeen} /></td>
                <td data-label="Samples">
                  {group.samples.map((id) => (
                    <div><a href={hrefOf({ view: 'failed', id, params: { status: 'any' } })}>{id.slice(0, 8)}</a> <CopyButton text={id} label={`Copy failed message id ${id}`} /></div>
                  ))}
                </td>
                <td data-label="Actions">
                  <div class="row-actions">
                    <button type="button" class="primary" onClick={() => retry(group)}>Retry group</button>
                    <button type="button" onClick={() => discard(group)}>Discard group</button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
