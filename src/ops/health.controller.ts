import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Db } from '../database/db';
import { pingDatabase } from '../database/ping.repository';
import { BrokerChannels } from '../messaging/broker-channels';
import { LiveAnswer, NotReadyAnswer, ReadyAnswer } from './ops.responses';

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Db,
    private readonly amqp: AmqpConnection,
    private readonly channels: BrokerChannels,
  ) {}

  @Get('live')
  @ApiOperation({ operationId: 'checkLiveness', summary: 'Liveness: the process is up' })
  @ApiOkResponse({ type: LiveAnswer, description: 'the process is up' })
  live() {
    return { status: 'ok' };
  }

  /**
   * Ready when both the database and the broker answer and the broker refuses none of our
   * declares or publishes (a 403 after a permission change); 503 names what is missing.
   */
  @Get('ready')
  @ApiOperation({
    operationId: 'checkReadiness',
    summary: 'Readiness: the database and the broker answer',
    description: '503 names what is down, or what the broker refuses.',
  })
  @ApiOkResponse({ type: ReadyAnswer, description: 'the database and the broker answer' })
  @ApiServiceUnavailableResponse({ type: NotReadyAnswer, description: 'the database or the broker cannot be reached' })
  async ready() {
    const database = await pingDatabase(this.db).then(
      () => 'up',
      () => 'down',
    );
    const refusal = this.channels.refusal;
    const broker = !this.amqp.managedConnection.isConnected() ? 'down' : refusal ? 'refusing' : 'up';
    const status = { database, broker, ...(refusal && { brokerRefusal: refusal }) };
    if (database !== 'up' || broker !== 'up') throw new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: status });
    return { status: 'ok', ...status };
  }
}
