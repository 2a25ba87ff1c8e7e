import { Registry } from 'prom-client';
import { isSelfFormatting } from './request-families.js';

type MetricObject = ReturnType<Registry['getMetricsAsArray']>[number];

/** The parts of prom-client's Registry that its typings leave out. */
interface Formatter {
  getMetricsAsString(metric: MetricObject): Promise<string>;
}
type FormatterConstructor = new (contentType: string) => Formatter;

export const PROMETHEUS_CONTENT_TYPE: string = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE: string = Registry.OPENMETRICS_CONTENT_TYPE;

/** True when the scraper asks for OpenMetrics (Prometheus does by default; curl does not). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept?.includes('application/openmetrics-text') === true;
}

/**
 * Serializes one registry in either format, as `registry.metrics()` would.
 *
 * The request families print themselves from cached lines (see request-families.ts); every other metric goes through
 * prom-client. prom-client fixes the format per registry, and its OpenMetrics path renames counters in place (it
 * strips `_total` from `metric.name`), which would make every later text-format scrape print `httpserver_requests`
 * instead of `httpserver_requests_total`. So the text format is formatted by the registry itself, and OpenMetrics by a
 * second, empty registry that formats a read-only view of each counter carrying the stripped name.
 *
 * Renders are single-flight per format: scrapes that arrive while one renders share its result, so a scrape flood
 * costs one render at a time, not one per connection.
 */
export function createExposition(registry: Registry): (openMetrics: boolean) => Promise<string> {
  const text = registry as unknown as Formatter;
  const openMetricsFormatter = new (Registry as unknown as FormatterConstructor)(Registry.OPENMETRICS_CONTENT_TYPE);
  const rendering: [Promise<string> | undefined, Promise<string> | undefined] = [undefined, undefined];
  return function exposeOnce(openMetrics: boolean): Promise<string> {
    const slot = openMetrics ? 1 : 0;
    let pending = rendering[slot];
    if (pending === undefined) {
      pending = expose(openMetrics).finally(() => {
        rendering[slot] = undefined;
      });
      rendering[slot] = pending;
    }
    return pending;
  };
  async function expose(openMetrics: boolean): Promise<string> {
    // prom-client merges a registry's default labels into every line; the cached lines do not carry them.
    const direct = !hasDefaultLabels(registry);
    const families = await Promise.all(
      registry.getMetricsAsArray().map((metric) => {
        const family: object = metric;
        if (direct && isSelfFormatting(family)) return family.expose(openMetrics);
        return openMetrics
          ? openMetricsFormatter.getMetricsAsString(openMetricsView(metric))
          : text.getMetricsAsString(metric);
      }),
    );
    return openMetrics ? `${families.join('\n')}\n# EOF\n` : `${families.join('\n\n')}\n`;
  }
}

/** `registry.setDefaultLabels()` keeps them in `_defaultLabels`; prom-client has no getter. */
function hasDefaultLabels(registry: Registry): boolean {
  const labels = (registry as unknown as { _defaultLabels?: object })._defaultLabels;
  return labels !== undefined && Object.keys(labels).length > 0;
}

function openMetricsView(metric: MetricObject): MetricObject {
  if (String(metric.type) !== 'counter' || !metric.name.endsWith('_total')) return metric;
  return Object.create(metric, { name: { value: metric.name.slice(0, -'_total'.length) } }) as MetricObject;
}
