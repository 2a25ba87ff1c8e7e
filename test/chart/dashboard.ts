import { FULLNAME, findObject, type K8sObject } from './render.js';

/** One query of a dashboard panel. */
export interface PanelQuery {
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat: string;
}

/** The Grafana dashboard of the `<fullname>-dashboard` ConfigMap, parsed. */
// biome-ignore lint/suspicious/noExplicitAny: Grafana's dashboard model is read field by field in tests.
export function dashboard(objects: readonly K8sObject[]): any {
  const configMap = findObject(objects, 'ConfigMap', `${FULLNAME}-dashboard`);
  const text = configMap.data?.[`${FULLNAME}.json`];
  if (text === undefined) throw new Error(`the dashboard ConfigMap has no ${FULLNAME}.json`);
  return JSON.parse(text);
}

/** Every panel query of the dashboard, in panel order. */
export function panelQueries(objects: readonly K8sObject[]): PanelQuery[] {
  return dashboard(objects).panels.flatMap(
    (panel: { title: string; targets: Array<{ refId: string; expr: string; legendFormat: string }> }) =>
      panel.targets.map((target) => ({
        panel: panel.title,
        refId: target.refId,
        expr: target.expr,
        legendFormat: target.legendFormat,
      })),
  );
}
