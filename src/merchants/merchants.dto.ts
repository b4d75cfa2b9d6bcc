import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { IsCleanText } from '../common/clean-text.validator';
import { IsHttpOrigins } from './http-origin';
import { MERCHANT_EVENTS } from './merchant-directory';
import type { SuccessRule } from './merchants.repository';

export const SUCCESS_RULES = ['body', '2xx'] as const satisfies readonly SuccessRule[];
export const MAX_GRACE_SECONDS = 30 * 24 * 3600;

/** Absent leaves a field as it is (an update); null clears a nullable one. */
const present = (_: object, value: unknown) => value !== undefined;
const set = (_: object, value: unknown) => value !== undefined && value !== null;

/** One decorator made of several: the rules a field has in both bodies. */
type FieldDecorator = (target: object, property: string) => void;
const allOf =
  (...decorators: FieldDecorator[]): FieldDecorator =>
  (target, property) => {
    for (const decorate of decorators) decorate(target, property);
  };

const NAME: ApiPropertyOptions = { minLength: 1, maxLength: 200, example: 'Acme Shop' };
const NameRules = () =>
  allOf(IsString(), MaxLength(200), Matches(/\S/, { message: 'name must not be empty or blank' }), IsCleanText());

const NOTIFY_ORIGINS: ApiPropertyOptions = {
  type: [String],
  nullable: true,
  minItems: 1,
  maxItems: 50,
  example: ['https://shop.example'],
  description: 'the origins (scheme://host[:port]) its orders may give as notifyUrl; null (the default): any',
};
const NotifyOriginsRules = () =>
  allOf(
    ValidateIf(set),
    IsArray(),
    ArrayMinSize(1, { message: 'notifyOrigins must name at least one origin; null allows any' }),
    ArrayMaxSize(50),
    IsHttpOrigins(),
  );

const EVENTS: ApiPropertyOptions = { type: [String], enum: [...MERCHANT_EVENTS], minItems: 1, description: 'the event types it is sent; default: all' };
const unknownEvents = (value: unknown) =>
  (Array.isArray(value) ? value : [value]).filter((event) => !(MERCHANT_EVENTS as readonly unknown[]).includes(event)).map((event) => JSON.stringify(event)).join(', ');
const EventsRules = () =>
  allOf(
    ValidateIf(present),
    IsArray(),
    ArrayMinSize(1, { message: 'events must name at least one event type' }),
    ArrayUnique({ message: 'events must not name an event type twice' }),
    IsIn(MERCHANT_EVENTS, { each: true, message: ({ value }) => `events must each be one of ${MERCHANT_EVENTS.join(', ')}; unknown: ${unknownEvents(value)}` }),
  );

const SUCCESS_RULE: ApiPropertyOptions = { enum: [...SUCCESS_RULES], nullable: true, description: "body: the trimmed answer is NOTIFY_SUCCESS_BODY; 2xx: any 2xx; null (the default): the platform's" };
const SuccessRuleRules = () => allOf(ValidateIf(set), IsIn(SUCCESS_RULES, { message: 'successRule must be body, 2xx or null' }));

export class CreateMerchantBody {
  @ApiProperty({ example: 'merchant-42', minLength: 1, maxLength: 128, description: 'the merchantId its orders carry; no control characters (U+0000–U+001F) or unpaired surrogates' })
  @IsString() @MinLength(1) @MaxLength(128) @IsCleanText()
  id: string;

  @ApiProperty(NAME) @NameRules()
  name: string;

  @ApiPropertyOptional(NOTIFY_ORIGINS) @NotifyOriginsRules()
  notifyOrigins?: string[] | null;

  @ApiPropertyOptional(EVENTS) @EventsRules()
  events?: string[];

  @ApiPropertyOptional(SUCCESS_RULE) @SuccessRuleRules()
  successRule?: SuccessRule | null;
}

/** Each field absent is left as it is. */
export class UpdateMerchantBody {
  @ApiPropertyOptional(NAME) @ValidateIf(present) @NameRules()
  name?: string;

  @ApiPropertyOptional(NOTIFY_ORIGINS) @NotifyOriginsRules()
  notifyOrigins?: string[] | null;

  @ApiPropertyOptional(EVENTS) @EventsRules()
  events?: string[];

  @ApiPropertyOptional(SUCCESS_RULE) @SuccessRuleRules()
  successRule?: SuccessRule | null;
}

export class RotateSecretBody {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_GRACE_SECONDS, default: 86_400, description: 'how long the previous secret still signs, beside the new one' })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_GRACE_SECONDS)
  graceSeconds = 86_400;
}

export class ListMerchantsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 100 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500)
  limit = 100;

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional() @IsString() @MaxLength(1000) @IsCleanText()
  cursor?: string;
}
