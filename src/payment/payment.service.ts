import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { paymentConfig } from '../config/payment.config';
import { CheckBackDaemon, CheckBackVerdict } from '../coordinator/check-back.daemon';
import { Coordinator } from '../coordinator/coordinator.service';
import type { EventTransaction } from '../coordinator/event-transaction';
import { OrderException } from '../orders/order.exception';
import { OrdersService } from '../orders/orders.service';
import { GatewayUnknownError, PaymentGateway } from './gateway/gateway';
import type { PaymentCallbackDto } from './payment-callback.dto';
import type { PaymentIncident } from './payment-incident.entity';
import { PaymentException } from './payment.exception';
import { PaymentRepository } from './payment.repository';

/** The outside work this module prepares (coordinator's PREPARE rows): a charge at the gateway, keyed by order id. */
export const PAYMENT_CHECK_BACK = 'payment';

export type PayResult = { status: 'PAID'; tradeNo: string } | { status: 'PAYMENT_PENDING' } | { status: 'DECLINED'; reason?: string };

/**
 * The three ways a payment outcome arrives — the gateway's direct answer, its callback,
 * and our check-back — all settle through `settle`, under the order's row lock, so the
 * order becomes PAID and `order.paid` is published once, whichever comes first. A callback
 * for an order this process placed first tries `payKnownOrder`, one conditional statement
 * with its event under the same row lock, and settles only when that did not move it.
 */
@Injectable()
export class PaymentService implements OnModuleInit {
  private readonly logger = new Logger(PaymentService.name);

  constructor(
    private readonly coordinator: Coordinator,
    private readonly orders: OrdersService,
    private readonly gateway: PaymentGateway,
    private readonly checkBacks: CheckBackDaemon,
    private readonly payments: PaymentRepository,
    @Inject(paymentConfig.KEY) private readonly config: ConfigType<typeof paymentConfig>,
  ) {}

  onModuleInit(): void {
    // A charge is asked about once its own answer has had time to come (CHECKBACK_AFTER).
    this.checkBacks.register(PAYMENT_CHECK_BACK, {
      check: (orderId, preparedId) => this.checkBack(orderId, preparedId),
      afterMs: this.config.checkBackAfterMs,
      timeoutMs: this.config.gatewayTimeoutMs,
      backoffMs: this.config.checkBackBackoffMs,
    });
  }

  async pay(orderId: string): Promise<PayResult> {
    const order = await this.orders.get(orderId);
    if (order.status !== 'CONFIRMED') throw OrderException.wrongState(orderId, order.status, 'pay');
    // PREPARE before the outside work: if we die or the answer is lost, the check-back finds out.
    const preparedId = await this.coordinator.prepare(PAYMENT_CHECK_BACK, orderId);
    let answer;
    try {
      answer = await withTimeout(this.gateway.charge(orderId, order.totalAmount, order.currency), this.config.gatewayTimeoutMs);
    } catch (error) {
      if (!(error instanceof GatewayUnknownError)) throw error;
      this.logger.warn(`charge of order ${orderId} has no known outcome yet (${error.message}); the check-back will settle it`);
      return { status: 'PAYMENT_PENDING' };
    }
    if (answer.status === 'DECLINED') {
      await this.coordinator.drop(preparedId);
      return { status: 'DECLINED', reason: answer.reason };
    }
    const settled = await this.settle(orderId, { tradeNo: answer.tradeNo, amount: order.totalAmount }, 'direct', preparedId);
    // Charged, but the order was cancelled meanwhile (unpaid timeout): the money is an incident for ops.
    if (typeof settled === 'object') throw PaymentException.paidTooLate(orderId, settled.notPayable, answer.tradeNo);
    return { status: 'PAID', tradeNo: answer.tradeNo };
  }

  /** The gateway's asynchronous word on a charge; safe to receive any number of times. */
  async recordCallback(callback: PaymentCallbackDto): Promise<void> {
    if (callback.status === 'TRADE_SUCCESS' && (await this.orders.payKnownOrder(callback.orderId, callback))) return;
    await this.coordinator.transaction(async (transaction) => {
      if (callback.status === 'TRADE_SUCCESS') {
        await this.settleIn(transaction, callback.orderId, callback, 'callback');
        return;
      }
      const order = await this.orders.lock(callback.orderId, transaction);
      if (!order) throw OrderException.notFound(callback.orderId);
      if (order.totalAmount !== callback.amount) throw PaymentException.amountMismatch(order.totalAmount, callback.amount);
      await this.orders.cancel(order.id, 'payment closed', transaction);
    });
  }

  private async checkBack(orderId: string, preparedId: string): Promise<CheckBackVerdict> {
    const order = await this.orders.find(orderId);
    if (!order) {
      this.logger.error(`PREPARE row ${preparedId} names order ${orderId}, which does not exist; dropping it`);
      return 'dropped';
    }
    const answer = await withTimeout(this.gateway.query(orderId), this.config.gatewayTimeoutMs);
    if (answer.status !== 'PAID') return 'dropped';
    await this.settle(orderId, { tradeNo: answer.tradeNo, amount: order.totalAmount }, 'check-back', preparedId);
    return 'settled';
  }

  private settle(orderId: string, charge: { tradeNo: string; amount: number }, source: PaymentIncident['source'], preparedId: string) {
    return this.coordinator.transaction(async (transaction) => {
      transaction.fulfil(preparedId);
      return this.settleIn(transaction, orderId, charge, source);
    });
  }

  private async settleIn(
    transaction: EventTransaction,
    orderId: string,
    charge: { tradeNo: string; amount: number },
    source: PaymentIncident['source'],
  ): Promise<SettleOutcome> {
    const outcome = await this.orders.settlePayment(orderId, charge, transaction);
    if (typeof outcome === 'object' && 'amountDiffers' in outcome) throw PaymentException.amountMismatch(outcome.amountDiffers, charge.amount);
    if (typeof outcome === 'object') {
      // Money for an order that cannot take it: keep the order as it is and tell ops.
      this.logger.warn(`payment ${charge.tradeNo} arrived for order ${orderId}, which is ${outcome.notPayable}`);
      await this.payments.recordIncident({ orderId, tradeNo: charge.tradeNo, amount: charge.amount, orderStatus: outcome.notPayable, source }, transaction);
    }
    return outcome;
  }
}

/** What a charge came to: the amount always matches by then (a differing one is refused). */
type SettleOutcome = Exclude<Awaited<ReturnType<OrdersService['settlePayment']>>, { amountDiffers: number }>;

function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new GatewayUnknownError(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
