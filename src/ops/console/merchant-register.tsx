import { useState } from 'preact/hooks';
import { api, CreatedMerchant, MerchantEvent, refusalOf } from './api';

interface Props {
  fail: (error: unknown) => void;
  onRegistered: (merchant: CreatedMerchant) => void;
}

/** In the API's catalogue order. */
const MERCHANT_EVENTS: readonly MerchantEvent[] = ['order.paid', 'order.rejected', 'order.cancelled'];
const EMPTY = { id: '', name: '', origins: '', events: [...MERCHANT_EVENTS], successRule: '' };

/** Registers a merchant; the API judges the input, and its 400 or 409 is shown beside the form. */
export function MerchantRegister({ fail, onRegistered }: Props) {
  const [draft, setDraft] = useState(EMPTY);
  const [refusal, setRefusal] = useState('');

  const toggle = (event: MerchantEvent, on: boolean) =>
    setDraft({ ...draft, events: MERCHANT_EVENTS.filter((name) => (name === event ? on : draft.events.includes(name))) });

  const submit = async (event: Event) => {
    event.preventDefault();
    const origins = draft.origins.split('\n').map((line) => line.trim()).filter(Boolean);
    const body = {
      id: draft.id,
      name: draft.name,
      // No origin given: its orders may name any notifyUrl, as the API's null says.
      notifyOrigins: origins.length ? origins : null,
      events: draft.events,
      successRule: draft.successRule || null,
    };
    try {
      const created = await api<CreatedMerchant>('POST', '/admin/merchants', body);
      setRefusal('');
      setDraft(EMPTY);
      onRegistered(created);
    } catch (error) {
      const why = refusalOf(error);
      if (why) setRefusal(why);
      else fail(error);
    }
  };

  return (
    <details class="register">
      <summary>Register merchant</summary>
      <form class="stacked" onSubmit={submit}>
        <label for="merchant-id">Id (the merchantId its orders carry)</label>
        <input id="merchant-id" required maxLength={128} value={draft.id} onInput={(event) => setDraft({ ...draft, id: event.currentTarget.value })} />
        <label for="merchant-name">Name</label>
        <input id="merchant-name" required maxLength={200} value={draft.name} onInput={(event) => setDraft({ ...draft, name: event.currentTarget.value })} />
        <label for="merchant-origins">Notify origins, one per line (empty: any)</label>
        <textarea id="merchant-origins" rows={3} placeholder="https://shop.example" value={draft.origins} onInput={(event) => setDraft({ ...draft, origins: event.currentTarget.value })} />
        <fieldset>
          <legend>Events</legend>
          {MERCHANT_EVENTS.map((name) => (
            <label class="check">
              <input type="checkbox" checked={draft.events.includes(name)} onChange={(event) => toggle(name, event.currentTarget.checked)} /> {name}
            </label>
          ))}
        </fieldset>
        <label for="merchant-rule">Success rule</label>
        <select id="merchant-rule" value={draft.successRule} onChange={(event) => setDraft({ ...draft, successRule: event.currentTarget.value })}>
          <option value="">the platform's default</option>
          <option value="body">body: the answer is "success"</option>
          <option value="2xx">2xx: any 2xx answer</option>
        </select>
        {refusal && <p role="alert" class="notice error">{refusal}</p>}
        <button type="submit" class="primary">Register</button>
      </form>
    </details>
  );
}
