export { closeDatabase, getPool, withServiceContext } from './service-context';
export type { ServiceContextOptions, ServiceTransaction } from './service-context';
