export * from "./queues";
export * from "./types/jobs";
export * from "./job-data";
export * from "./jobs/usage-digest.job";
export * from "./jobs/account-closure.job";
