import { brokerUrlsProblem, parseBrokerUrls } from './broker-urls';

describe('parseBrokerUrls', () => {
  it('takes one URL', () => {
    expect(parseBrokerUrls('amqp://guest:guest@127.0.0.1:5672')).toEqual(['amqp://guest:guest@127.0.0.1:5672']);
  });

  it('takes a comma-separated list of nodes, trimming blanks around each', () => {
    expect(parseBrokerUrls(' amqp://u:p@h1:5672/vh , amqps://u:p@h2:5671/vh,')).toEqual(['amqp://u:p@h1:5672/vh', 'amqps://u:p@h2:5671/vh']);
  });

  it('takes an array', () => {
    expect(parseBrokerUrls(['amqp://h1', 'amqp://h2'])).toEqual(['amqp://h1', 'amqp://h2']);
  });

  it('names the bad entry of a list, its password hidden', () => {
    expect(brokerUrlsProblem('amqp://u:secret@h1:5672/vh,http://u:secret@h2/vh')).toBe(
      'entry 2 (http://u:***@h2/vh) is not an amqp:// or amqps:// URL; list several nodes separated by commas',
    );
  });

  it('refuses a list separated by something else than commas', () => {
    expect(brokerUrlsProblem('amqp://h1:5672/vh amqp://h2:5672/vh')).toMatch(/is not an amqp/);
    expect(brokerUrlsProblem('amqp://h1:5672/vh;amqp://h2:5672/vh')).toMatch(/has a "\/" in its vhost/);
  });

  it('refuses nothing at all, and what is not a string', () => {
    expect(brokerUrlsProblem(' , ')).toBe('must name at least one amqp:// or amqps:// URL');
    expect(brokerUrlsProblem(42)).toMatch(/must be an amqp/);
    expect(() => parseBrokerUrls('amqp://')).toThrow('"amqp://" is not an amqp:// or amqps:// URL; list several nodes separated by commas');
  });
});
