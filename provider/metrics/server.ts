// The daemon's optional metrics endpoint (spec.metrics.port): GET http://127.0.0.1:<port>/metrics in the Prometheus
// text format, built from the runner's live TaskStatus at each scrape. Loopback only: put a Prometheus agent (or an
// SSH tunnel) on the daemon's host to collect it.
import { createServer, type Server } from 'node:http';
import type { TaskStatus } from '../state/status';
import type { Logger } from '../state/logger';
import { CONTENT_TYPE, renderExposition } from './exposition';
import { ErrorCounter, taskFamilies } from './task-metrics';

export const METRICS_HOST = '127.0.0.1';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Renders the metrics of a status; `status` is read anew at every call (the runner replaces its nodes array). */
export function metricsText(status: TaskStatus, errors: ErrorCounter): string {
  return renderExposition(taskFamilies(status, errors));
}

/**
 * Starts the endpoint. A port that cannot be bound does not stop the sync: it is logged (with what to do) and null is
 * returned. Port 0 picks a free port (tests).
 */
export async function startMetricsServer(status: () => TaskStatus, port: number, log?: Logger): Promise<MetricsServer | null> {
  const errors = new ErrorCounter();
  // Errors that come and go between two scrapes still count.
  const sampler = setInterval(() => errors.observe(status()), 250);
  sampler.unref();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n');
      return;
    }
    if (path === '/metrics') {
      let body: string;
      try {
        body = metricsText(status(), errors);
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`cannot render the metrics: ${(err as Error).message}\n`);
        return;
      }
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`redis-sync task ${status().task}: metrics at /metrics (see docs/metrics.md)\n`);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
  });
  server.keepAliveTimeout = 5000;
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      log?.error({ port, err: err.message },
        `metrics endpoint: cannot listen on ${METRICS_HOST}:${port} (${err.code ?? err.message}); the sync goes on without metrics. Choose a free metrics.port`);
      resolve(false);
    });
    server.listen(port, METRICS_HOST, () => resolve(true));
  });
  if (!bound) {
    clearInterval(sampler);
    return null;
  }
  server.on('error', (err) => log?.warn({ err: err.message }, 'metrics endpoint error'));
  const actual = (server.address() as { port: number }).port;
  log?.info({ port: actual }, `metrics at http://${METRICS_HOST}:${actual}/metrics`);
  return {
    port: actual,
    close: () => new Promise<void>((resolve) => {
      clearInterval(sampler);
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
