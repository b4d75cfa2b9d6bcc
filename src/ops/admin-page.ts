/**
 * The ops page: a static shell with no data in it. It asks for the admin token, keeps it
 * in sessionStorage and calls the bearer-protected ops API, so the page itself needs no
 * session or cookie (and a browser navigation, which cannot send a bearer, still loads it).
 */
export const ADMIN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>backstop ops</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
 h1{font-size:1.3rem} h2{font-size:1.05rem;margin-top:1.6rem}
 table{border-collapse:collapse;width:100%} th,td{border-bottom:1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top}
 code{font-size:12px} .counts span{display:inline-block;margin-right:1.2rem}
 .error{color:#b00} button{margin-right:.3rem} input{padding:.2rem}
</style></head>
<body>
<h1>backstop ops</h1>
<form id="login"><label>Admin token <input id="token" type="password" autocomplete="off"></label> <button>Use</button></form>
<p class="error" id="error"></p>
<div class="counts" id="counts"></div>
<h2>Failed messages</h2>
<p><label>Status <select id="status"><option value="">any</option><option>FAILED</option><option>RETRYING</option><option>RESOLVED</option><option>DISCARDED</option></select></label>
 <label>Handler <input id="handler" placeholder="notify.merchant"></label> <button id="refresh">Refresh</button>
 <button id="retryAll">Retry all FAILED shown</button></p>
<table><thead><tr><th>handler</th><th>status</th><th>attempts</th><th>sweeps</th><th>last failed</th><th>next sweep</th><th>error</th><th></th></tr></thead><tbody id="failed"></tbody></table>
<h2>Outbox (not yet published)</h2>
<table><thead><tr><th>state</th><th>event</th><th>created</th><th>attempts</th><th>last error</th></tr></thead><tbody id="outbox"></tbody></table>
<h2>Deliveries</h2>
<form id="deliveriesForm"><label>Order id <input id="orderId" size="38"></label> <button>Show</button></form>
<table><thead><tr><th>#</th><th>time</th><th>url</th><th>HTTP</th><th>ms</th><th>error</th></tr></thead><tbody id="deliveries"></tbody></table>
<script>
const $ = (id) => document.getElementById(id);
const text = (value) => String(value ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + sessionStorage.getItem('backstop-token') } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(response.status + ': ' + (Array.isArray(body.message) ? body.message.join('; ') : body.message));
  return body;
}
async function load() {
  $('error').textContent = '';
  try {
    const summary = await api('/admin/summary');
    $('counts').innerHTML = Object.entries(summary.failedMessages).map(([k, v]) => '<span>' + text(k) + ': <b>' + v + '</b></span>').join('')
      + '<span>outbox ready: <b>' + summary.outbox.ready + '</b></span><span>prepare: <b>' + summary.outbox.prepare + '</b> (stuck ' + summary.outbox.stuck + ')</span>'
      + '<span>payment incidents: <b>' + summary.paymentIncidents + '</b></span>';
    const query = new URLSearchParams({ limit: '100' });
    if ($('status').value) query.set('status', $('status').value);
    if ($('handler').value) query.set('handler', $('handler').value);
    const failed = await api('/admin/failed-messages?' + query);
    $('failed').innerHTML = failed.items.map((row) => '<tr><td>' + text(row.handler) + '</td><td>' + text(row.status) + '</td><td>' + row.attempts + '</td><td>' + row.sweepCount
      + '</td><td>' + text(row.lastFailedAt) + '</td><td>' + text(row.nextSweepAt) + '</td><td><code>' + text(row.error.split('\\n')[0]) + '</code></td><td>'
      + (row.status === 'FAILED' ? '<button data-retry="' + row.id + '">Retry</button>' : '')
      + (row.status === 'FAILED' || row.status === 'RETRYING' ? '<button data-discard="' + row.id + '">Discard</button>' : '') + '</td></tr>').join('');
    const outbox = await api('/admin/outbox');
    $('outbox').innerHTML = outbox.items.map((row) => '<tr><td>' + text(row.state) + (row.stuck ? ' (stuck)' : '') + '</td><td>' + text(row.routingKey ?? row.kind + ' ' + row.checkBackId)
      + '</td><td>' + text(row.createdAt) + '</td><td>' + row.attempts + '</td><td>' + text(row.lastError) + '</td></tr>').join('');
  } catch (error) { $('error').textContent = error.message; }
}
$('login').onsubmit = (event) => { event.preventDefault(); sessionStorage.setItem('backstop-token', $('token').value); load(); };
$('refresh').onclick = load;
$('retryAll').onclick = async () => { try { const r = await api('/admin/failed-messages/retry', { method: 'POST', body: JSON.stringify({ handler: $('handler').value || undefined }) }); alert('re-running ' + r.count); load(); } catch (e) { $('error').textContent = e.message; } };
$('failed').onclick = async (event) => {
  const retry = event.target.dataset.retry, discard = event.target.dataset.discard;
  try {
    if (retry) await api('/admin/failed-messages/' + retry + '/retry', { method: 'POST' });
    if (discard) { const reason = prompt('Why discard it?'); if (!reason) return; await api('/admin/failed-messages/' + discard + '/discard', { method: 'POST', body: JSON.stringify({ reason }) }); }
    load();
  } catch (e) { $('error').textContent = e.message; }
};
$('deliveriesForm').onsubmit = async (event) => {
  event.preventDefault();
  try {
    const deliveries = await api('/admin/deliveries?orderId=' + encodeURIComponent($('orderId').value.trim()));
    $('deliveries').innerHTML = deliveries.items.map((d) => '<tr><td>' + d.attempt + '</td><td>' + text(d.attemptedAt) + '</td><td>' + text(d.url) + '</td><td>' + text(d.httpStatus)
      + '</td><td>' + text(d.durationMs) + '</td><td>' + text(d.error ?? (d.delivered ? 'delivered' : '')) + '</td></tr>').join('');
  } catch (e) { $('error').textContent = e.message; }
};
if (sessionStorage.getItem('backstop-token')) load();
</script>
</body></html>`;
