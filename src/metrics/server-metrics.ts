import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: an API request is expected in milliseconds, a slow one in seconds. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
/** Seconds: tasks run from a second (a restart) to an hour (a large backup or reshard). */
const TASK_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** How a finished task ended. */
export type TaskOutcome = 'done' | 'failed' | 'cancelled';

/**
 * What one `trove serve` process counts, in Prometheus' terms. Counters are this process's own
 * since it started; the fleet's state (instances, backups) is read from the store at each scrape
 * by gauges whose readers the server adds (`observe`).
 */
export class ServerMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'trove_http_requests_total',
    help: 'API requests answered, by method, route (its template) and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly requestSeconds = new Histogram({
    name: 'trove_http_request_duration_seconds',
    help: 'Time to answer an API request, by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  readonly tasks = new Counter({
    name: 'trove_tasks_total',
    help: 'Tasks this process finished, by kind and outcome (done, failed, cancelled).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly taskSeconds = new Histogram({
    name: 'trove_task_duration_seconds',
    help: "Time from a task's request to its end, by kind and outcome.",
    labelNames: ['kind', 'outcome'] as const,
    buckets: TASK_BUCKETS,
    registers: [this.registry],
  });

  taskFinished(kind: string, outcome: TaskOutcome, seconds: number): void {
    this.tasks.inc({ kind, outcome });
    this.taskSeconds.observe({ kind, outcome }, seconds);
  }

  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.requestSeconds.observe({ method, route }, seconds);
  }

  /** A gauge whose values are read afresh at every scrape: each reading is its labels and value. */
  observe<L extends string>(name: string, help: string, labelNames: readonly L[], read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const { labels, value } of await read()) this.set(labels as never, value);
      },
    });
  }

  /** The text Prometheus scrapes. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
