import { Body, CanActivate, Controller, Get, Inject, Injectable, UseGuards, HttpCode, HttpStatus, NotFoundException, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsIn, IsString, IsUUID, MaxLength } from 'class-validator';
import { AdminGuard } from '../../common/admin.guard';
import { IsCleanText } from '../../common/clean-text.validator';
import { IsMinorUnits } from '../../common/minor-units.validator';
import { paymentConfig } from '../../config/payment.config';
import { SandboxGateway } from './sandbox-gateway';
import type { SandboxScenario } from './sandbox-charge.entity';

class SandboxChargeBody {
  @IsUUID() orderId: string;
  @IsMinorUnits() amount: number;
  @IsString() @MaxLength(16) @IsCleanText() currency: string;
}

class SandboxScenarioBody {
  @IsIn(['PAY', 'DECLINE', 'HANG', 'CHARGE_THEN_HANG'])
  scenario: SandboxScenario;
}

const uuid = new ParseUUIDPipe({ errorHttpStatusCode: HttpStatus.BAD_REQUEST });

/**
 * With the sandbox off (a real gateway configured, or NODE_ENV=production, unless
 * PAYMENT_SANDBOX=true) it is not there at all: nobody may fake a charge.
 */
@Injectable()
class SandboxOnlyGuard implements CanActivate {
  constructor(@Inject(paymentConfig.KEY) private readonly config: ConfigType<typeof paymentConfig>) {}

  canActivate(): boolean {
    if (!this.config.sandbox) throw new NotFoundException('the sandbox gateway is off');
    return true;
  }
}

/** The sandbox gateway over the gateway protocol, so adapters and developers can talk to it too. */
@ApiExcludeController()
@UseGuards(SandboxOnlyGuard)
@Controller('sandbox/gateway')
export class SandboxGatewayController {
  constructor(private readonly sandbox: SandboxGateway) {}

  /** docs/architecture.md#reliable-publish-the-coordinator: a charge answers 200 (Nest's default for POST is 201, which HttpGateway reads as "unknown"). */
  @Post('charges')
  @HttpCode(HttpStatus.OK)
  async charge(@Body() body: SandboxChargeBody) {
    return this.sandbox.charge(body.orderId, body.amount, body.currency);
  }

  @Get('charges/:orderId')
  async query(@Param('orderId', uuid) orderId: string) {
    const answer = await this.sandbox.query(orderId);
    if (answer.status === 'NOT_FOUND') throw new NotFoundException(`no charge for order ${orderId}`);
    return answer;
  }

  /**
   * How the sandbox answers the next charge of this order: PAY, DECLINE, HANG or CHARGE_THEN_HANG.
   * Ops only: it decides whether a real order of this platform gets paid.
   */
  @Put('scenarios/:orderId')
  @UseGuards(AdminGuard)
  async scenario(@Param('orderId', uuid) orderId: string, @Body() body: SandboxScenarioBody) {
    await this.sandbox.setScenario(orderId, body.scenario);
    return { orderId, scenario: body.scenario };
  }
}
