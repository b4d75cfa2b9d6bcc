import { isPublicAddress, literalHostProblem } from './public-address';

describe('public addresses', () => {
  it.each(['8.8.8.8', '93.184.216.34', '2001:4860:4860::8888'])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(['127.0.0.1', '::1', '169.254.169.254', '10.0.0.1', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.0', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::7f00:1', 'not-an-ip'])(
    '%s is not public',
    (address) => expect(isPublicAddress(address)).toBe(false),
  );

  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://169.254.169.254/',
    'http://10.0.0.1/',
    'http://2130706433/',
    'http://[::ffff:127.0.0.1]/',
    'http://0x7f.1/',
    'http://localhost:8080/',
    'http://localhost./',
    'http://127.0.0.1./',
    'https://api.localhost/',
  ])('refuses the literal host of %s', (url) => {
    expect(literalHostProblem(new URL(url))).toBeDefined();
  });

  it.each(['https://merchant.example/notify', 'http://93.184.216.34/hook'])('leaves %s to the delivery-time check', (url) => {
    expect(literalHostProblem(new URL(url))).toBeUndefined();
  });
});
