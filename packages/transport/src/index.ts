/**
 * The public surface of @backstop/transport: the event map and envelope backstop
 * publishes, the broker topology and headers (the `order.events` exchange, per-handler
 * retry and dead-letter queues), what to do after a handler ran, the central queues that
 * carry a service's failures to backstop, and the @nestjs/microservices transport for
 * internal services.
 */
export * from './events/event-map';
export * from './events/envelope';
export * from './events/order-id';
export * from './validation';
export * from './config/duration';
export * from './config/environment';
export * from './broker/topology';
export * from './broker/handler-topology';
export * from './broker/message-headers';
export * from './broker/message-id';
export * from './broker/next-step';
export * from './broker/attempt-error';
export * from './broker/confirmed-channel';
export * from './broker/frames-per-turn';
export * from './central/error-report';
export * from './central/rerun-result';
export * from './server/backstop-transport';
export * from './server/channel-guard';
export * from './server/broker-urls';
export * from './server/backstop-context';
export * from './server/backstop-error.filter';
export * from './server/transport-options';
export * from './server/once';
export * from './server/processed-message.entity';
export * from './server/processed-messages.migration';
