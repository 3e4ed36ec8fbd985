import { Module } from '@nestjs/common';
import { QUEUE_CONFIG, queueConfigFromEnv } from './queue.config';
import { QueueService } from './queue.service';

@Module({
  providers: [{ provide: QUEUE_CONFIG, useFactory: () => queueConfigFromEnv() }, QueueService],
  exports: [QueueService],
})
export class QueueModule {}
