import { amountIsWrittenAsInteger } from './callback-amount';

describe('the callback amount as written', () => {
  it.each([
    '{"orderId":"x","amount":4242}',
    '{ "amount" : 0 , "tradeNo": "T-1.5" }',
    '{"tradeNo":"\\"amount\\":1.5","amount":9000000000000000}',
    '{"nested":{"amount":1.5},"amount":1}',
  ])('accepts %s', (body) => expect(amountIsWrittenAsInteger(body)).toBe(true));

  it.each([
    '{"amount":4242.0000000000001}',
    '{"amount":9000000000000000.5}',
    '{"amount":4242.0}',
    '{"amount":4242e0}',
    '{"amount":-1}',
    '{"\\u0061mount":1.5}',
    '{"amount":1,"amount":1.5}',
  ])('refuses %s', (body) => expect(amountIsWrittenAsInteger(body)).toBe(false));
});
