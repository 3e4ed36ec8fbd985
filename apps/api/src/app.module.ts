import { Module } from '@nestjs/common';
import { HealthController } from './health/health.controller';
import { QueueModule } from './queue/queue.module';

@Module({
  imports: [QueueModule],
  controllers: [HealthController],
})
export class AppModule {}
