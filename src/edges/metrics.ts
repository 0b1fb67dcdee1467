/** Prometheus metrics for the region: API requests by handler and op, latency, machines by status. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { statusName } from '../domain/machine/status.ts';
import { machineCountsByStatus } from '../services/machines/queries.ts';
import type { ServiceContext } from '../services/context.ts';

export function createMetrics(svc: ServiceContext) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'plinth_' });
  const requests = new Counter({
    name: 'plinth_api_requests_total', help: 'MAAS API requests by handler, op and status code',
    labelNames: ['handler', 'op', 'method', 'code'], registers: [registry],
  });
  const latency = new Histogram({
    name: 'plinth_api_request_seconds', help: 'MAAS API request latency by handler and op',
    labelNames: ['handler', 'op', 'method'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });
  new Gauge({
    name: 'plinth_machines', help: 'Machines by status', labelNames: ['status'], registers: [registry],
    async collect() {
      this.reset();
      for (const r of await machineCountsByStatus(svc.db)) this.set({ status: statusName(r.status) }, r.n);
    },
  });
  return {
    registry,
    observe(handler: string, op: string | null, method: string, code: number, seconds: number) {
      requests.inc({ handler, op: op ?? '', method, code: String(code) });
      latency.observe({ handler, op: op ?? '', method }, seconds);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
