import type { Agent } from 'node:http';
import { get } from '../support/http.js';

export const METRICS_PATH = '/metrics';
const OPENMETRICS_ACCEPT = 'application/openmetrics-text; version=1.0.0';

/** One scrape of `/metrics`, as Prometheus sends it (OpenMetrics, which carries exemplars) or as curl does (text). */
export async function scrape(url: string, agent: Agent, openMetrics: boolean): Promise<string> {
  const response = await get(`${url}${METRICS_PATH}`, agent, openMetrics ? { accept: OPENMETRICS_ACCEPT } : {});
  if (response.status !== 200) throw new Error(`GET ${METRICS_PATH} answered ${response.status}`);
  return response.body;
}

export interface TimedScrapes {
  /** Client-side time of each scrape, from sending the request to the last byte of the body. */
  readonly durationsMs: readonly number[];
  /** The last body. */
  readonly body: string;
}

/** `count` sequential scrapes over one keep-alive connection, as a single Prometheus server would send them. */
export async function timedScrapes(
  url: string,
  agent: Agent,
  count: number,
  openMetrics: boolean,
): Promise<TimedScrapes> {
  const durationsMs: number[] = [];
  let body = '';
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    body = await scrape(url, agent, openMetrics);
    durationsMs.push(performance.now() - startedAt);
  }
  return { durationsMs, body };
}

/** Every sample line, i.e. every series Prometheus would store from this scrape. */
export function seriesCount(exposition: string): number {
  return exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
}

/** The distinct values of the `route` label: what a cardinality attack would multiply. */
export function routeLabelValues(exposition: string): number {
  return new Set(exposition.match(/\broute="(?:[^"\\]|\\.)*"/g) ?? []).size;
}

/** Sample lines that carry an OpenMetrics exemplar (`... # {trace_id="...",span_id="..."} 1 <ts>`). */
export function exemplarCount(exposition: string): number {
  return exposition.split('\n').filter((line) => !line.startsWith('#') && line.includes(' # {')).length;
}
