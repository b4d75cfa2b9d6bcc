import { AmqpConnection } from '@golevelup/nestjs-rabbitmq';
import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { LiveAnswer, NotReadyAnswer, ReadyAnswer } from './ops.responses';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@ApiTags('ops')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly amqp: AmqpConnection,
  ) {}

  @Get('live')
  @ApiOkResponse({ type: LiveAnswer, description: 'the process is up' })
  live() {
    return { status: 'ok' };
  }

  /** Ready when both the database and the broker answer; 503 names what is missing. */
  @Get('ready')
  @ApiOkResponse({ type: ReadyAnswer, description: 'the database and the broker answer' })
  @ApiServiceUnavailableResponse({ type: NotReadyAnswer, description: 'the database or the broker cannot be reached' })
  async ready() {
    const database = await this.dataSource.query('SELECT 1').then(
      () => 'up',
      () => 'down',
    );
    const broker = this.amqp.managedConnection.isConnected() ? 'up' : 'down';
    const status = { database, broker };
    if (database !== 'up' || broker !== 'up') throw new ServiceUnavailableException({ statusCode: 503, error: 'Service Unavailable', message: status });
    return { status: 'ok', ...status };
  }
}
