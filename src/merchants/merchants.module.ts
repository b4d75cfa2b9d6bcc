import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { secretsConfig } from '../config/secrets.config';
import { MerchantChanges } from './merchant-changes';
import { MerchantDirectory } from './merchant-directory';
import { MerchantsController } from './merchants.controller';
import { MerchantsRepository } from './merchants.repository';
import { MerchantsService } from './merchants.service';
import { SecretCipher } from './secret-cipher';
import { SecretsKeyRotation } from './secrets-key-rotation';

/**
 * The merchant registry: each merchant's terms and its signing secrets, encrypted at rest.
 * Below orders and notify, which ask it through `MerchantDirectory`; it knows neither.
 */
@Module({
  controllers: [MerchantsController],
  providers: [
    {
      provide: SecretCipher,
      inject: [secretsConfig.KEY],
      useFactory: (config: ConfigType<typeof secretsConfig>) => new SecretCipher(config.current, config.previous),
    },
    MerchantsRepository,
    MerchantsService,
    MerchantChanges,
    MerchantDirectory,
    SecretsKeyRotation,
  ],
  exports: [MerchantDirectory],
})
export class MerchantsModule {}
