/** docs/architecture.md#reliable-publish-the-coordinator's gateway protocol, as the platform sees it. */
export type ChargeAnswer = { status: 'PAID'; tradeNo: string } | { status: 'DECLINED'; reason?: string };
export type QueryAnswer = { status: 'PAID'; tradeNo: string } | { status: 'DECLINED' } | { status: 'NOT_FOUND' };

export abstract class PaymentGateway {
  abstract charge(orderId: string, amount: number, currency: string): Promise<ChargeAnswer>;
  abstract query(orderId: string): Promise<QueryAnswer>;
}

/** No answer in time, a 5xx, a broken connection or an answer we cannot read: the outcome is unknown. */
export class GatewayUnknownError extends Error {
  readonly name = 'GatewayUnknownError';
}
