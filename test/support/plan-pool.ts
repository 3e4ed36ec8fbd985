import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PlanRequest, PlanResult, PlanWorkerData } from './plan-worker.js';

interface Task {
  request: PlanRequest;
  resolve: (result: PlanResult) => void;
}

/**
 * Worker threads running plan-worker.ts. Each takes the next request when it is
 * done with its own, so plans of different sizes keep every thread busy.
 */
export class PlanPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<Worker, Task>();
  private nextId = 0;

  constructor(data: PlanWorkerData, size = availableParallelism()) {
    // Worker threads do not inherit the test runner's TypeScript support: tsx's
    // loader is registered inside each worker before the worker module loads.
    const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
    const tsx = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
    const entry = new URL('./plan-worker.ts', import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
    for (let i = 0; i < Math.max(1, size); i += 1) {
      const worker = new Worker(bootstrap, { eval: true, workerData: data });
      worker.on('message', ({ result }: { id: number; result: PlanResult }) => {
        this.finish(worker, result);
      });
      worker.on('error', (error) => {
        this.finish(worker, { status: 'failed', error: `plan worker crashed: ${error.message}` });
      });
      this.idle.push(worker);
    }
  }

  private finish(worker: Worker, result: PlanResult): void {
    const task = this.running.get(worker);
    this.running.delete(worker);
    this.idle.push(worker);
    task?.resolve(result);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.queue.shift() as Task;
      this.running.set(worker, task);
      worker.postMessage(task.request);
    }
  }

  plan(answers: unknown, readBack: string[]): Promise<PlanResult> {
    return new Promise((resolve) => {
      this.queue.push({ request: { id: (this.nextId += 1), answers, readBack }, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.idle, ...this.running.keys()].map((worker) => worker.terminate()));
  }
}
