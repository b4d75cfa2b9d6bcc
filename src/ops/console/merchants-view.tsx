import { useRef, useState } from 'preact/hooks';
import { api, CreatedMerchant, MerchantPage, query } from './api';
import { Id } from './copy';
import type { ViewProps } from './main';
import { MerchantDetail } from './merchant-detail';
import { MerchantRegister } from './merchant-register';
import { originsText, PreviousSecret, successRuleText } from './merchant-terms';
import { Pager, usePager } from './pager';
import { hrefOf, navigate } from './router';
import { SecretPanel, ShownSecret } from './secret-panel';
import { Time } from './time';
import { useAnswer } from './use-answer';

const PAGE_SIZE = 50;

/**
 * The merchant registry: register, rotate secrets, send test events. A secret the API hands
 * out lives in this view's state only, so leaving the view forgets it.
 */
export function MerchantsView(props: ViewProps) {
  const { route, tick, report, fail } = props;
  const [changed, setChanged] = useState(0);
  const selected = route.id ?? null;
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const pager = usePager();

  const page = useAnswer(() => api<MerchantPage>('GET', `/admin/merchants${query({ limit: PAGE_SIZE, cursor: pager.cursor })}`), fail, [tick, changed, pager.cursor]);
  const done = () => setChanged((count) => count + 1);

  const registered = (created: CreatedMerchant) => {
    report({ kind: 'done', text: `Registered merchant ${created.id}.` });
    setShown({ merchantId: created.id, secret: created.secret });
    done();
  };
  const forgetSecret = () => {
    setShown(null);
    title.current?.focus();
  };

  return (
    <section aria-labelledby="merchants-title">
      <h2 id="merchants-title" tabIndex={-1} ref={title}>Merchants</h2>
      <MerchantRegister fail={fail} onRegistered={registered} />
      {shown && <SecretPanel shown={shown} onClose={forgetSecret} />}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Id</th><th scope="col">Name</th><th scope="col">Origins</th><th scope="col">Events</th><th scope="col">Success rule</th>
              <th scope="col">Secret rotated</th><th scope="col">Previous secret</th><th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page?.items.length === 0 && <tr><td colSpan={8}>No merchant registered yet.</td></tr>}
            {page?.items.map((merchant) => (
              <tr key={merchant.id} data-id={merchant.id} aria-current={merchant.id === selected ? 'true' : undefined}>
                <td data-label="Id"><Id kind="merchant" value={merchant.id} /></td>
                <td data-label="Name">{merchant.name}</td>
                <td data-label="Origins" class="url">{originsText(merchant)}</td>
                <td data-label="Events">{merchant.events.join(', ')}</td>
                <td data-label="Success rule">{successRuleText(merchant)}</td>
                <td data-label="Secret rotated">{merchant.secretRotatedAt ? <Time at={merchant.secretRotatedAt} /> : 'never'}</td>
                <td data-label="Previous secret"><PreviousSecret merchant={merchant} /></td>
                <td data-label="Actions"><div class="row-actions"><a class="button" href={hrefOf({ view: 'merchants', id: merchant.id })} aria-label={`Details of ${merchant.id}`}>Details</a></div></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Merchants" />
      {selected && <MerchantDetail {...props} id={selected} changed={changed} onClose={() => navigate({ view: 'merchants' })} onChanged={done} onRotated={setShown} />}
    </section>
  );
}
