import { Injectable } from '@nestjs/common';
import { Logger } from 'nestjs-pino';

/**
 * Lines @golevelup/nestjs-rabbitmq writes at start that are wrong for this platform: our own
 * explorer subscribes the handlers (so "will not receive messages" is false), and with
 * `wait: false` it says "connected" before any connection exists. The broker connection's
 * real state is logged by BrokerConnectionLog, with the cause of a failure.
 */
const MISLEADING = [
  /^Skipping RabbitMQ Handlers due to configuration/,
  /^Successfully connected to RabbitMQ$/,
  /^Skipping connection health checks as 'wait' is disabled/,
];

/** Nest's own start-up inventory (every module, controller and route): useful when debugging only. */
const INVENTORY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

@Injectable()
export class AppLogger extends Logger {
  log(message: unknown, ...optionalParams: unknown[]): void {
    if (typeof message === 'string' && MISLEADING.some((pattern) => pattern.test(message))) return;
    if (INVENTORY_CONTEXTS.has(String(optionalParams.at(-1)))) return super.debug(message, ...optionalParams);
    super.log(message, ...optionalParams);
  }
}
