/**
 * The public surface of @backstop/transport: the event map and envelope backstop
 * publishes, the broker topology and headers of SPEC §5–§6, the central failure queues of
 * SPEC §11, and the @nestjs/microservices transport for internal services.
 */
export * from './events/event-map';
export * from './events/envelope';
export * from './validation';
export * from './config/duration';
export * from './config/environment';
export * from './broker/topology';
export * from './broker/handler-topology';
export * from './broker/message-headers';
export * from './broker/attempt-error';
export * from './broker/confirmed-channel';
export * from './central/error-report';
export * from './central/rerun-result';
export * from './server/backstop-transport';
export * from './server/backstop-context';
export * from './server/backstop-error.filter';
export * from './server/transport-options';
export * from './server/once';
export * from './server/processed-message.entity';
