import { useRef, useState } from 'preact/hooks';
import { api, CreatedMerchant, Merchant, Page, query } from './api';
import type { ViewProps } from './main';
import { MerchantDetail } from './merchant-detail';
import { MerchantRegister } from './merchant-register';
import { originsText, PreviousSecret, successRuleText } from './merchant-terms';
import { Pager, usePager } from './pager';
import { SecretPanel, ShownSecret } from './secret-panel';
import { Time } from './time';
import { useAnswer } from './use-answer';

const PAGE_SIZE = 50;

/**
 * The merchant registry: register, rotate secrets, send test events. A secret the API hands
 * out lives in this view's state only, so leaving the view forgets it.
 */
export function MerchantsView(props: ViewProps) {
  const { tick, report, fail } = props;
  const [changed, setChanged] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const pager = usePager();

  const page = useAnswer(() => api<Page<Merchant>>('GET', `/admin/merchants${query({ limit: PAGE_SIZE, cursor: pager.cursor })}`), fail, [tick, changed, pager.cursor]);
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
              <tr key={merchant.id} data-id={merchant.id}>
                <td><code>{merchant.id}</code></td>
                <td>{merchant.name}</td>
                <td class="url">{originsText(merchant)}</td>
                <td>{merchant.events.join(', ')}</td>
                <td>{successRuleText(merchant)}</td>
                <td>{merchant.secretRotatedAt ? <Time at={merchant.secretRotatedAt} /> : 'never'}</td>
                <td><PreviousSecret merchant={merchant} /></td>
                <td><button type="button" onClick={() => setSelected(merchant.id)} aria-label={`Details of ${merchant.id}`}>Details</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager pager={pager} nextCursor={page?.nextCursor ?? null} label="Merchants" />
      {selected && <MerchantDetail {...props} id={selected} changed={changed} onClose={() => setSelected(null)} onChanged={done} onRotated={setShown} />}
    </section>
  );
}
