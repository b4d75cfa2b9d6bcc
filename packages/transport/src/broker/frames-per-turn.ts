import type { AmqpConnectionManager } from 'amqp-connection-manager';
import { Socket } from 'node:net';

const corked = new WeakSet<Socket>();

/**
 * Sends the frames one turn of the event loop writes to the broker in a single write.
 *
 * amqplib's writer sends each queued frame (a publish, an ack, a confirm's method) with a
 * `socket.write` of its own, and with TCP_NODELAY each is a system call and a packet the
 * broker reads on its own: under load about ten a turn. Corking the socket at a turn's
 * first write and uncorking it on the next tick sends them in one `writev`; nothing waits
 * for a timer, the tick comes before the event loop moves on. amqplib has no option for
 * it, so the socket of each connection, and of each reconnection, is wrapped here.
 */
export function writeFramesPerTurn(manager: AmqpConnectionManager): void {
  manager.on('connect', ({ connection }) => corkEachTurn(socketOf(connection)));
  if (manager.connection) corkEachTurn(socketOf(manager.connection));
}

/**
 * amqplib's ChannelModel keeps its protocol connection, which keeps the socket it writes to.
 * Should a later amqplib keep it elsewhere, nothing is wrapped and test/broker-writes fails.
 */
function socketOf(model: unknown): Socket | undefined {
  const stream = (model as { connection?: { stream?: unknown } } | undefined)?.connection?.stream;
  return stream instanceof Socket ? stream : undefined;
}

function corkEachTurn(socket: Socket | undefined): void {
  if (!socket || corked.has(socket)) return;
  corked.add(socket);
  const write = socket.write;
  let turnCorked = false;
  const uncork = () => {
    turnCorked = false;
    socket.uncork();
  };
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    if (!turnCorked) {
      turnCorked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(this, args);
  } as Socket['write'];
}
