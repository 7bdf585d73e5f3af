/**
 * Prometheus text exposition format 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats):
 * counters and one latency histogram, kept in memory, rendered at /metrics.
 */

type Labels = Record<string, string>;

/** Rendered label sets, memoized: the hot path does one join and one Map lookup. */
const rendered = new Map<string, string>();

function labelText(labels: Labels): string {
  let memoKey = '';
  for (const k in labels) memoKey += `${k}\u0001${labels[k]}\u0002`;
  const hit = rendered.get(memoKey);
  if (hit !== undefined) return hit;
  const text = renderLabels(labels);
  if (rendered.size < 10_000) rendered.set(memoKey, text);
  return text;
}

function renderLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }

  get(labels: Labels = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

/** Latency buckets in seconds: a key lookup should take well under 10 ms. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const inner = k === '' ? '' : `${k.slice(1, -1)},`;
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{${inner}le="${b}"} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket{${inner}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k} ${s.sum}`);
      lines.push(`${this.name}_count${k} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class ServerMetrics {
  readonly requests = new Counter('keysmith_requests_total', 'HTTP requests by endpoint, method and status.');
  readonly grants = new Counter('keysmith_key_grants_total', 'Keys handed out, by endpoint.');
  readonly refusals = new Counter('keysmith_refusals_total', 'Refused requests by reason code.');
  readonly reloads = new Counter('keysmith_config_reloads_total', 'Configuration reloads by result.');
  readonly latency = new Histogram('keysmith_request_duration_seconds', 'Request latency by endpoint.', LATENCY_BUCKETS);

  /** Requests being handled now (set by the server before rendering). */
  inFlight = 0;

  render(): string {
    const gauge = `# HELP keysmith_requests_in_flight Requests being handled.\n# TYPE keysmith_requests_in_flight gauge\nkeysmith_requests_in_flight ${this.inFlight}`;
    return `${[this.requests, this.grants, this.refusals, this.reloads, this.latency].map((m) => m.render()).join('\n')}\n${gauge}\n`;
  }
}
