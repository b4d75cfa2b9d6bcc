import { GatewayUnknownError, PaymentGateway, ChargeAnswer, QueryAnswer } from './gateway';

/** Speaks the gateway protocol over HTTP to PAYMENT_GATEWAY_URL (a provider's adapter). */
export class HttpGateway extends PaymentGateway {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async charge(orderId: string, amount: number, currency: string): Promise<ChargeAnswer> {
    const answer = await this.call('POST', '/charges', { orderId, amount, currency });
    if (answer.status === 200 && isPaid(answer.body)) return { status: 'PAID', tradeNo: answer.body.tradeNo };
    if (answer.status === 200 && answer.body?.status === 'DECLINED') return { status: 'DECLINED', reason: answer.body.reason };
    throw new GatewayUnknownError(`charge answered ${answer.status}`);
  }

  async query(orderId: string): Promise<QueryAnswer> {
    const answer = await this.call('GET', `/charges/${encodeURIComponent(orderId)}`);
    if (answer.status === 404) return { status: 'NOT_FOUND' };
    if (answer.status === 200 && isPaid(answer.body)) return { status: 'PAID', tradeNo: answer.body.tradeNo };
    if (answer.status === 200 && answer.body?.status === 'DECLINED') return { status: 'DECLINED' };
    throw new GatewayUnknownError(`query answered ${answer.status}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    try {
      const response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : undefined,
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: response.status, body: parsed };
    } catch (error) {
      throw new GatewayUnknownError(`gateway unreachable: ${(error as Error).message}`);
    }
  }
}

function isPaid(body: any): body is { status: 'PAID'; tradeNo: string } {
  return body?.status === 'PAID' && typeof body.tradeNo === 'string' && body.tradeNo.length > 0;
}
