import { Body, Controller, Get, HttpStatus, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateOrderDto } from './create-order.dto';
import { IDEMPOTENCY_KEY_MAX_LENGTH, IdempotencyKey } from './idempotency-key.pipe';
import { OrderRecord, OrdersService } from './orders.service';
import { ApiErrors } from '../common/api-responses';
import { OrderCreatedView, OrderDetailView } from './orders.responses';

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @ApiOperation({
    operationId: 'createOrder',
    summary: 'Place an order',
    description: "Priced at each SKU's unit price and answered 201, PENDING; its order.created event is committed with it. With an Idempotency-Key, the same key and body answer the same order again (200).",
  })
  @ApiCreatedResponse({ type: OrderCreatedView, description: 'the order, made now' })
  @ApiOkResponse({ type: OrderCreatedView, description: 'the same order again, as it stands now: a replay with the same Idempotency-Key and body' })
  @ApiErrors(400, 413, 422, 429, 503)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
    description: 'no control characters; a replay with the same body returns the same order',
  })
  async create(
    @Body() body: CreateOrderDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { order, created } = await this.orders.place(body, idempotencyKey);
    reply.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return orderView(order);
  }

  @Get(':id')
  @ApiOperation({ operationId: 'getOrder', summary: 'An order with its payment and notification state', description: 'Poll it at any time: one indexed read.' })
  @ApiOkResponse({ type: OrderDetailView, description: 'the order with its payment and notification state (the active query)' })
  @ApiErrors(400, 404, 429, 503)
  async get(@Param('id', uuid) id: string) {
    const { order, paying, notification } = await this.orders.viewOf(id);
    return {
      ...orderView(order),
      payment: order.tradeNo
        ? { status: 'PAID', tradeNo: order.tradeNo, paidAt: order.paidAt?.toISOString() }
        : paying
          ? { status: 'PENDING' }
          : null,
      notification,
    };
  }
}

export function orderView(order: OrderRecord) {
  return {
    id: order.id,
    status: order.status,
    merchantId: order.merchantId,
    items: order.items,
    totalAmount: order.totalAmount,
    currency: order.currency,
    notifyUrl: order.notifyUrl,
    ...(order.reason ? { reason: order.reason } : {}),
    createdAt: order.createdAt.toISOString(),
  };
}
