import type { AmqpConnectionManager } from 'amqp-connection-manager';
import { EventEmitter } from 'node:events';
import { ChannelGuard } from './channel-guard';

/** A connection as the guard sees it: connected, and its events. */
const connection = () => Object.assign(new EventEmitter(), { isConnected: () => true, reconnect: () => undefined }) as unknown as AmqpConnectionManager;

/** amqplib's error for a channel the broker closed on an exchange.declare (class 40, method 10). */
const refused = Object.assign(
  new Error(`Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to exchange 'order.events' in vhost '/' refused for user 'guest'"`),
  { code: 403, classId: 40, methodId: 10 },
);
/** What the setups that channel cut short fail with. */
const ended = new Error('Channel ended, no reply will be forthcoming');

describe('ChannelGuard', () => {
  it("keeps the broker's 403 when the setups it cut short end after it on the same channel", () => {
    const guard = ChannelGuard.of(connection());
    guard.failed('topology', refused);
    guard.failed('topology', ended);
    expect(guard.refusal).toMatch(/refused ExchangeDeclare on vhost "\/": ACCESS_REFUSED.*set_permissions/);
  });

  it('names the refusal the broker explained before a channel that only ended, whichever failed first', () => {
    const guard = ChannelGuard.of(connection());
    guard.failed('publisher', ended);
    expect(guard.refusal).toContain('Channel ended');
    guard.failed('topology', refused);
    expect(guard.refusal).toContain('set_permissions');
  });
});
