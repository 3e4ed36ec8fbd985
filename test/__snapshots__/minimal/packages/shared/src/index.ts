export * from './queues';
export * from './job-data';
export * from './job-definition';
export * from './logger';
export * from './jobs/welcome-email.job';
export * from './jobs/notification-email.job';
export * from './jobs/webhook-delivery.job';
export * from './jobs/cache-warmup.job';
