import { useEffect, useState } from 'preact/hooks';

/**
 * Where the console is, in the URL's hash: `#/<view>[/<id>][?filters]`, e.g.
 * `#/failed/<id>?status=FAILED&handler=notify.merchant` or `#/deliveries?endpoint=https://shop.example`.
 * The hash alone, so a reload, a bookmark or a link pasted in chat opens the same thing, the
 * browser's back and forward walk it, and the server serves one page for all of it. No token
 * ever goes in it.
 */
export const VIEWS = {
  summary: 'Summary',
  failed: 'Failed messages',
  groups: 'Failure groups',
  deliveries: 'Deliveries',
  endpoints: 'Endpoints',
  merchants: 'Merchants',
  orders: 'Orders',
} as const;
export type View = keyof typeof VIEWS;

export interface Route {
  view: View;
  /** The open item: a failed message, an endpoint, a merchant, an order. */
  id?: string;
  params: Record<string, string>;
}

export function routeOf(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path, search = ''] = splitOnce(text, '?');
  const [name, ...rest] = path.split('/');
  const view = name in VIEWS ? (name as View) : 'summary';
  const id = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : undefined;
  return { view, ...(id === undefined ? {} : { id }), params: Object.fromEntries(new URLSearchParams(search)) };
}

/** The hash of a route; empty parameters are left out. */
export function hrefOf(route: { view: View; id?: string; params?: Record<string, string | undefined> }): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(route.params ?? {})) if (value !== undefined && value !== '') search.set(key, value);
  const query = search.toString();
  return `#/${route.view}${route.id === undefined ? '' : `/${encodeURIComponent(route.id)}`}${query ? `?${query}` : ''}`;
}

/** Goes there as a new history entry, so Back returns here. */
export function navigate(route: { view: View; id?: string; params?: Record<string, string | undefined> }): void {
  const href = hrefOf(route);
  if (location.hash !== href) location.hash = href;
}

/** The current route, following every change of the hash: links, navigate, back and forward, a reload. */
export function useRoute(onChange: () => void): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const follow = () => {
      onChange();
      setRoute(routeOf(location.hash));
    };
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);
  return route;
}

/** The console's page for an ops API path the API links to (an order timeline entry's `link`); null when it has none. */
export function consoleHrefOf(apiPath: string | null): string | null {
  if (!apiPath) return null;
  const [path, search = ''] = splitOnce(apiPath, '?');
  const params = Object.fromEntries(new URLSearchParams(search));
  const [, , resource, id] = path.split('/');
  if (!path.startsWith('/admin/')) return null;
  if (resource === 'failed-messages' && id) return hrefOf({ view: 'failed', id, params: { status: 'any' } });
  if (resource === 'endpoints' && id) return hrefOf({ view: 'endpoints', id });
  if (resource === 'merchants' && id) return hrefOf({ view: 'merchants', id });
  if (resource === 'deliveries') return hrefOf({ view: 'deliveries', params });
  return null;
}

export function orderHref(orderId: string): string {
  return hrefOf({ view: 'orders', id: orderId });
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}
