import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './console.css';
import { ApiError, token } from './api';
import { useConfirm } from './confirm';
import { DeliveriesView } from './deliveries-view';
import { EndpointsView } from './endpoints-view';
import { FailedMessagesView } from './failed-messages-view';
import { GroupsView } from './groups-view';
import { MerchantsView } from './merchants-view';
import { Notice, NoticeValue } from './notice';
import { OrdersView } from './orders-view';
import { hrefOf, Route, useRoute, View, VIEWS } from './router';
import { SignIn } from './sign-in';
import { SummaryView } from './summary-view';

const REFRESH_MS = 5000;

/** What every view gets: where it is, the refresh tick, a way to report, and the confirmation dialog. */
export interface ViewProps {
  route: Route;
  tick: number;
  report: (notice: NoticeValue) => void;
  fail: (error: unknown) => void;
  confirm: (title: string, detail: string, action: string) => Promise<boolean>;
}

function App() {
  const [signedIn, setSignedIn] = useState(Boolean(token.get()));
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [tick, setTick] = useState(0);
  const [notice, setNotice] = useState<NoticeValue | null>(null);
  // What the last action did belongs to the page it was done on: a new place starts with no notice.
  const route = useRoute(() => setNotice(null));
  const { confirm, element: confirmDialog } = useConfirm();

  useEffect(() => {
    if (!autoRefresh || !signedIn) return;
    const timer = setInterval(() => setTick((count) => count + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, [autoRefresh, signedIn]);

  const signOut = (why?: string) => {
    token.clear();
    setSignedIn(false);
    setNotice(why ? { kind: 'error', text: why } : null);
  };
  const fail = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) return signOut('The admin token was refused; sign in again.');
    setNotice({ kind: 'error', text: error instanceof Error ? error.message : String(error) });
  };
  const props: ViewProps = { route, tick, report: setNotice, fail, confirm };

  if (!signedIn) {
    return (
      <main>
        <h1>backstop ops</h1>
        <Notice notice={notice} />
        <SignIn onSignedIn={() => { setNotice(null); setSignedIn(true); }} />
      </main>
    );
  }
  const view = route.view;
  return (
    <>
      <header>
        <h1>backstop ops</h1>
        <nav aria-label="Views">
          {(Object.keys(VIEWS) as View[]).map((name) => (
            <a href={hrefOf({ view: name })} aria-current={view === name ? 'page' : undefined}>{VIEWS[name]}</a>
          ))}
        </nav>
        <div class="session">
          <label>
            <input type="checkbox" checked={autoRefresh} onChange={(event) => setAutoRefresh(event.currentTarget.checked)} /> Auto-refresh (5 s)
          </label>
          <button type="button" onClick={() => setTick((count) => count + 1)}>Refresh now</button>
          <button type="button" onClick={() => signOut()}>Sign out</button>
        </div>
      </header>
      <main>
        <Notice notice={notice} />
        {view === 'summary' && <SummaryView {...props} />}
        {view === 'failed' && <FailedMessagesView {...props} />}
        {view === 'groups' && <GroupsView {...props} />}
        {view === 'deliveries' && <DeliveriesView {...props} />}
        {view === 'endpoints' && <EndpointsView {...props} />}
        {view === 'merchants' && <MerchantsView {...props} />}
        {view === 'orders' && <OrdersView {...props} />}
      </main>
      {confirmDialog}
    </>
  );
}

render(<App />, document.getElementById('app')!);
