import { ApiProperty } from '@nestjs/swagger';
import { MERCHANT_EVENTS } from './merchant-directory';
import { SUCCESS_RULES } from './merchants.dto';

/** The response schemas of the merchant registry API, for the OpenAPI document. No view carries a secret but the answers of create and rotate. */
export class MerchantView {
  @ApiProperty({ example: 'merchant-42', description: 'the merchantId its orders carry' }) id: string;
  @ApiProperty({ example: 'Acme Shop' }) name: string;
  @ApiProperty({ type: [String], nullable: true, example: ['https://shop.example'], description: 'the origins its notifyUrls may be on; null: any' })
  notifyOrigins: string[] | null;
  @ApiProperty({ type: [String], enum: MERCHANT_EVENTS, description: 'the event types it is sent' }) events: string[];
  @ApiProperty({ enum: SUCCESS_RULES, nullable: true, type: 'string', description: "null: the platform's default" }) successRule: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string', description: 'when the current secret was made by a rotation; null: never rotated' })
  secretRotatedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: 'string', description: 'until when the previous secret signs too (past: it no longer does); null: there is none' })
  previousSecretExpiresAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class CreatedMerchantView extends MerchantView {
  @ApiProperty({ example: 'whsec_<base64 of 32 random bytes>', description: 'its signing secret: shown this once, give it to the merchant over a channel you trust' })
  secret: string;
}

export class OpsActionView {
  @ApiProperty({ example: 'merchant.rotate-secret' }) action: string;
  @ApiProperty({ description: "the operator's name (ADMIN_TOKEN name:token)" }) actor: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'what was set; never a secret' }) detail: Record<string, unknown> | null;
  @ApiProperty({
    type: 'string',
    nullable: true,
    example: '5f0c7a8e-2b1d-4e55-9a3c-8d6f0e1b2a47',
    description: "the x-request-id of the request that did it, which that request's log lines carry; null for actions recorded before request ids were kept",
  })
  requestId: string | null;
}

export class MerchantDetailView extends MerchantView {
  @ApiProperty({ type: [OpsActionView], description: 'its latest ops actions (up to 50), oldest first' }) actions: OpsActionView[];
}

export class MerchantPage {
  @ApiProperty({ type: [MerchantView] }) items: MerchantView[];
  @ApiProperty({ nullable: true, type: 'string', description: 'pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
}

export class RotatedSecretAnswer {
  @ApiProperty({ example: 'whsec_<base64 of 32 random bytes>', description: 'the new signing secret: shown this once' }) secret: string;
  @ApiProperty({ format: 'date-time', description: 'until when notifications are signed with the previous secret too' }) previousSecretExpiresAt: string;
}
