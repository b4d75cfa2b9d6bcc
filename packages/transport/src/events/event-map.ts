import { Type } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Min,
  ValidateNested,
} from 'class-validator';

/**
 * The one map from routing key to payload (SPEC §5). The publisher, the outbox and
 * every handler are typed against it, and the same classes validate what comes off
 * the broker, so a renamed field fails both the build and a stale message.
 */
export class EventItem {
  @IsString() sku: string;
  @IsInt() @Min(1) quantity: number;
  @IsOptional() @IsInt() @Min(0) unitPrice?: number;
}

export class OrderCreatedData {
  @IsUUID() id: string;
  @IsString() merchantId: string;
  @IsString() status: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => EventItem) items: EventItem[];
  @IsInt() totalAmount: number;
  @IsString() currency: string;
  @IsString() notifyUrl: string;
  @IsISO8601() createdAt: string;
}

export class StockResultData {
  @IsUUID() orderId: string;
  @IsArray() @ValidateNested({ each: true }) @Type(() => EventItem) items: EventItem[];
  @IsOptional() @IsString() reason?: string;
}

export class OrderConfirmedData {
  @IsUUID() orderId: string;
}

export class OrderRejectedData {
  @IsUUID() orderId: string;
  @IsOptional() @IsString() reason?: string;
}

export class OrderPaidData {
  @IsUUID() orderId: string;
  @IsString() tradeNo: string;
  @IsInt() amount: number;
  @IsString() currency: string;
  @IsISO8601() paidAt: string;
}

export class OrderCancelledData {
  @IsUUID() orderId: string;
  @IsString() reason: string;
}

export const EVENT_PAYLOADS = {
  'order.created': OrderCreatedData,
  'stock.reserved': StockResultData,
  'stock.rejected': StockResultData,
  'order.confirmed': OrderConfirmedData,
  'order.rejected': OrderRejectedData,
  'order.paid': OrderPaidData,
  'order.cancelled': OrderCancelledData,
} as const;

export type RoutingKey = keyof typeof EVENT_PAYLOADS;
export type EventMap = { [K in RoutingKey]: InstanceType<(typeof EVENT_PAYLOADS)[K]> };
export const ROUTING_KEYS = Object.keys(EVENT_PAYLOADS) as RoutingKey[];

export interface EventEnvelope<K extends RoutingKey = RoutingKey> {
  id: string;
  type: K;
  occurredAt: string;
  data: EventMap[K];
}

/** Distributes over a union, so a handler of several keys gets a discriminated union. */
export type EventOf<K extends RoutingKey> = K extends RoutingKey ? EventEnvelope<K> : never;

export class EnvelopeShape {
  @IsUUID() id: string;
  @IsIn(ROUTING_KEYS) type: RoutingKey;
  @IsISO8601() occurredAt: string;
  @IsObject() data: object;
}
