import { messagingConfig } from './messaging.config';

describe('RABBITMQ_URL', () => {
  const saved = process.env.RABBITMQ_URL;
  afterEach(() => {
    if (saved === undefined) delete process.env.RABBITMQ_URL;
    else process.env.RABBITMQ_URL = saved;
  });

  it('takes every node of a cluster, separated by commas', () => {
    process.env.RABBITMQ_URL = 'amqp://u:p@h1:5672/vh,amqp://u:p@h2:5672/vh';
    expect(messagingConfig().urls).toEqual(['amqp://u:p@h1:5672/vh', 'amqp://u:p@h2:5672/vh']);
  });

  it('stops the start naming the variable and its bad entry', () => {
    process.env.RABBITMQ_URL = 'amqp://u:p@h1:5672/vh,h2:5672/vh';
    expect(() => messagingConfig()).toThrow('RABBITMQ_URL: entry 2 (h2:5672/vh) is not an amqp:// or amqps:// URL; list several nodes separated by commas');
  });
});
