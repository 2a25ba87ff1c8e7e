// The text report of a simulation: what was simulated, the summary figures, and a compact timeline table.

import { resolveControllerOptions } from './reconcile.js';
import type { SimulationResult, TimelineRow } from './simulate.js';
import type { ScalingRules } from './spec.js';

function clock(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return `${minutes}:${String(rest).padStart(2, '0')}`;
}

function qps(value: number | null): string {
  return value === null ? '-' : Number(value.toFixed(1)).toString();
}

function rules(direction: string, r: ScalingRules, defaultWindow: string): string {
  const window = r.stabilizationWindowSeconds === null ? defaultWindow : `${r.stabilizationWindowSeconds}s`;
  const sign = direction === 'up' ? '+' : '-';
  const policies = r.policies.map((p) => `${sign}${p.value}${p.type === 'Pods' ? ' pods' : '%'}/${p.periodSeconds}s`);
  return `scale-${direction} window ${window}, ${r.selectPolicy} of [${policies.join(', ')}]`;
}

/** Describes the HPA and the pipeline in three lines. */
export function describeSetup(result: SimulationResult): string[] {
  const { spec, options } = result;
  const metrics = spec.metrics
    .map((m) => {
      if (m.type === 'Pods') return `Pods ${m.name} ${m.target.averageValue / 1000}/pod`;
      if (m.type === 'Resource' && m.target.type === 'Utilization') {
        return `Resource ${m.name} ${m.target.averageUtilization}%`;
      }
      return `${m.type} ${m.name}`;
    })
    .join(', ');
  const controller = resolveControllerOptions(options.controller);
  const downWindow = `${controller.downscaleStabilizationWindowSeconds}s`;
  const { factor, minimum } = controller.legacyScaleUpLimit;
  const behavior =
    spec.behavior === null
      ? `none, so the legacy limits: max(${factor} x current, ${minimum}) per sync, ${downWindow} down window`
      : `${rules('up', spec.behavior.scaleUp, '0s')}; ${rules('down', spec.behavior.scaleDown, `${downWindow} (controller default)`)}`;
  return [
    `HPA ${spec.namespace}/${spec.name}: ${metrics}; replicas ${spec.minReplicas}..${spec.maxReplicas}`,
    `behavior: ${behavior}`,
    `pipeline: scrape ${options.scrapeIntervalSeconds}s, rate() ${options.rateWindowSeconds}s, sync ${options.syncPeriodSeconds}s, ` +
      `start-up ${options.podStartupSeconds}s + warm-up ${options.warmupSeconds}s, capacity ${options.capacityQps} QPS/pod, ` +
      `${options.initialReplicas} initial replicas`,
  ];
}

/** The summary figures, one per line. */
export function describeSummary(result: SimulationResult): string[] {
  const s = result.summary;
  const after = (at: number | null, delta: number | null) =>
    at === null ? 'never' : `at ${at} s${delta === null ? '' : ` (${delta} s after the change)`}`;
  const duration = result.options.durationSeconds ?? 0;
  const average = duration > 0 ? ` (${(s.replicaSeconds / duration).toFixed(1)} pods on average)` : '';
  return [
    `traffic changes       ${s.trafficChangeAt === null ? 'never' : `at ${s.trafficChangeAt} s`}`,
    `first scale-up        ${after(s.firstScaleUpAt, s.timeToFirstScaleUp)}`,
    `settled               ${after(s.settledAt, s.timeToSettle)}`,
    `overloaded            ${s.overloadSeconds} s`,
    `replica-seconds       ${s.replicaSeconds}${average}`,
    `direction changes     ${s.directionChanges}`,
    `peak / final replicas ${s.peakReplicas} / ${s.finalReplicas}`,
  ];
}

/** Rows every `everySeconds`, plus every row where the desired count changed. */
function compactRows(timeline: readonly TimelineRow[], everySeconds: number): TimelineRow[] {
  return timeline.filter(
    (row, i) => row.time % everySeconds === 0 || row.desiredReplicas !== timeline[i - 1]?.desiredReplicas,
  );
}

/** The timeline as a fixed-width table. */
export function formatTable(result: SimulationResult, everySeconds = 60): string[] {
  const header = ['time', 'traffic', 'desired', 'ready', 'qps/pod', 'seen/pod', 'target', 'reason'];
  const rows = compactRows(result.timeline, everySeconds).map((row) => [
    clock(row.time),
    qps(row.trafficQps),
    String(row.desiredReplicas),
    String(row.readyReplicas),
    `${qps(row.perPodQps)}${row.overloaded ? '!' : ''}`,
    qps(row.observedQps),
    qps(row.targetQps),
    row.reason,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The whole report: setup, summary, table (`!` marks an overloaded sync). */
export function formatReport(result: SimulationResult, everySeconds = 60): string {
  return [
    ...describeSetup(result),
    '',
    ...describeSummary(result),
    '',
    ...formatTable(result, everySeconds),
    '',
    '! = pods above capacity; seen/pod = the average the HPA read from the adapter',
  ].join('\n');
}
