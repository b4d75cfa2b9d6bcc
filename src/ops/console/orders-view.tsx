import { useEffect, useState } from 'preact/hooks';
import type { ViewProps } from './main';
import { OrderPage } from './order-page';
import { navigate } from './router';

/** An order by its id: everything known of it, in time order. Every order id in the console links here. */
export function OrdersView(props: ViewProps) {
  const { route } = props;
  const [draft, setDraft] = useState(route.id ?? '');
  useEffect(() => setDraft(route.id ?? ''), [route.id]);

  const open = (event: Event) => {
    event.preventDefault();
    const id = draft.trim();
    if (id) navigate({ view: 'orders', id });
  };

  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      <form class="filters" onSubmit={open} role="search">
        <label>Order id <input name="orderId" required value={draft} onInput={(event) => setDraft(event.currentTarget.value)} /></label>
        <button type="submit" class="primary">Open</button>
      </form>
      {route.id && <OrderPage key={route.id} {...props} id={route.id} />}
    </section>
  );
}
