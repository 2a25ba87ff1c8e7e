import { Registry } from 'prom-client';

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
 * Serializes one registry in either format.
 *
 * prom-client fixes the format per registry, and its OpenMetrics path renames counters in place (it strips `_total`
 * from `metric.name`), which would make every later text-format scrape print `httpserver_requests` instead of
 * `httpserver_requests_total`. So the text format comes from the registry itself, and OpenMetrics from a second,
 * empty registry that formats a read-only view of each counter carrying the stripped name.
 */
export function createExposition(registry: Registry): (openMetrics: boolean) => Promise<string> {
  const formatter = new (Registry as unknown as FormatterConstructor)(Registry.OPENMETRICS_CONTENT_TYPE);
  return async function expose(openMetrics: boolean): Promise<string> {
    if (!openMetrics) return registry.metrics();
    const families = await Promise.all(
      registry.getMetricsAsArray().map((metric) => formatter.getMetricsAsString(openMetricsView(metric))),
    );
    return `${families.join('\n')}\n# EOF\n`;
  };
}

function openMetricsView(metric: MetricObject): MetricObject {
  if (String(metric.type) !== 'counter' || !metric.name.endsWith('_total')) return metric;
  return Object.create(metric, { name: { value: metric.name.slice(0, -'_total'.length) } }) as MetricObject;
}
