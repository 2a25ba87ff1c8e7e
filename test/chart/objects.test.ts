import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { adapterMetricName, adapterRule, adapterValuesFragment, rateWindows, seriesName } from './adapter.js';
import {
  containerEnv,
  deployment,
  durationSeconds,
  FULLNAME,
  findObject,
  hpa,
  type K8sObject,
  NAMESPACE,
  objectsOfKind,
  RELEASE,
  renderChart,
} from './render.js';

const SELECTOR = { 'app.kubernetes.io/name': 'warmscale', 'app.kubernetes.io/instance': RELEASE };

const DEFAULT_BEHAVIOR = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 60 },
      { type: 'Percent', value: 100, periodSeconds: 60 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 1, periodSeconds: 60 },
      { type: 'Percent', value: 10, periodSeconds: 60 },
    ],
  },
};

// biome-ignore lint/suspicious/noExplicitAny: container specs are read field by field with exact assertions.
function appContainer(objects: readonly K8sObject[]): any {
  const containers = deployment(objects).spec.template.spec.containers;
  assert.equal(containers.length, 1);
  return containers[0];
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

describe('chart defaults', () => {
  let objects: K8sObject[];
  before(async () => {
    objects = await renderChart();
  });

  test('the default render holds exactly the Deployment, Service, ServiceMonitor, adapter ConfigMap, HPA, PDB and test pod', () => {
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      `ConfigMap/${FULLNAME}-adapter-rule`,
      `Deployment/${FULLNAME}`,
      `HorizontalPodAutoscaler/${FULLNAME}`,
      `Pod/${FULLNAME}-test`,
      `PodDisruptionBudget/${FULLNAME}`,
      `Service/${FULLNAME}`,
      `ServiceMonitor/${FULLNAME}`,
    ]);
    for (const object of objects) assert.equal(object.metadata.namespace, NAMESPACE, object.kind);
  });

  test('the adapter rule and the HPA agree on the custom metric httpserver_requests_qps', () => {
    const rule = adapterRule(objects);
    assert.equal(rule.seriesQuery, 'httpserver_requests_total{namespace!="",pod!=""}');
    assert.equal(seriesName(rule), 'httpserver_requests_total');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Go regexp expansion syntax of the adapter, not a JS template.
    assert.deepEqual(rule.name, { matches: '^(.*)_total$', as: '${1}_qps' });
    assert.equal(adapterMetricName(rule, 'httpserver_requests_total'), 'httpserver_requests_qps');
    assert.deepEqual(rule.resources, { overrides: { namespace: { resource: 'namespace' }, pod: { resource: 'pod' } } });
    assert.equal(rule.metricsQuery, 'sum(rate(<<.Series>>{<<.LabelMatchers>>}[1m])) by (<<.GroupBy>>)');
    assert.deepEqual(hpa(objects).spec.metrics[0], {
      type: 'Pods',
      pods: { metric: { name: 'httpserver_requests_qps' }, target: { type: 'AverageValue', averageValue: '50' } },
    });
    assert.equal(
      adapterRuleAnnotation(objects, 'warmscale.io/custom-metric'),
      hpa(objects).spec.metrics[0].pods.metric.name,
    );
  });

  test('the adapter values file points the adapter at Prometheus, relists every minute and holds the rule as its one custom rule', () => {
    assert.deepEqual(adapterValuesFragment(objects), {
      prometheus: { url: 'http://prometheus-operated.monitoring.svc', port: 9090 },
      metricsRelistInterval: '1m',
      rules: { default: false, custom: [adapterRule(objects)] },
    });
    assert.equal(adapterRuleAnnotation(objects, 'warmscale.io/relist-interval'), '1m');
  });

  test('the adapter rate window is at least 4x the ServiceMonitor scrape interval', () => {
    const windows = rateWindows(adapterRule(objects).metricsQuery);
    assert.deepEqual(windows, ['1m']);
    const interval = findObject(objects, 'ServiceMonitor').spec.endpoints[0].interval as string;
    assert.equal(interval, '15s');
    assert.ok(durationSeconds(windows[0] as string) >= 4 * durationSeconds(interval));
    assert.equal(adapterRuleAnnotation(objects, 'warmscale.io/rate-window'), '1m');
    assert.equal(adapterRuleAnnotation(objects, 'warmscale.io/scrape-interval'), '15s');
  });

  test('the HPA is autoscaling/v2 on the Deployment with an explicit behavior and no pre-v2 fields', () => {
    const h = hpa(objects);
    assert.equal(h.apiVersion, 'autoscaling/v2');
    assert.deepEqual(h.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: FULLNAME },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Pods',
          pods: { metric: { name: 'httpserver_requests_qps' }, target: { type: 'AverageValue', averageValue: '50' } },
        },
      ],
      behavior: DEFAULT_BEHAVIOR,
    });
    const text = JSON.stringify(h);
    for (const legacy of [
      'targetAverageValue',
      'targetAverageUtilization',
      'targetCPUUtilizationPercentage',
      'metricName',
    ]) {
      assert.equal(text.includes(legacy), false, legacy);
    }
  });

  test('the Deployment leaves replicas to the HPA', () => {
    assert.equal('replicas' in deployment(objects).spec, false);
  });

  test('the ServiceMonitor scrapes the Service port named http on the metrics path the app serves', () => {
    const monitor = findObject(objects, 'ServiceMonitor');
    const service = findObject(objects, 'Service');
    assert.deepEqual(monitor.spec.endpoints, [{ port: 'http', path: '/metrics', interval: '15s', scheme: 'http' }]);
    assert.equal(containerEnv(objects).WARMSCALE_METRICS_PATH, monitor.spec.endpoints[0].path);
    const port = (service.spec.ports as { name: string }[]).find((p) => p.name === monitor.spec.endpoints[0].port);
    assert.deepEqual(port, { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' });
    assert.deepEqual(appContainer(objects).ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepEqual(monitor.spec.namespaceSelector, { matchNames: [NAMESPACE] });
    assert.ok(matches(monitor.spec.selector.matchLabels, service.metadata.labels));
  });

  test('every selector is name + instance and matches the pod labels, and none matches the helm test pod', () => {
    const podLabels = deployment(objects).spec.template.metadata.labels;
    const testPod = findObject(objects, 'Pod', `${FULLNAME}-test`);
    const selectors = {
      Deployment: deployment(objects).spec.selector.matchLabels,
      Service: findObject(objects, 'Service').spec.selector,
      ServiceMonitor: findObject(objects, 'ServiceMonitor').spec.selector.matchLabels,
      PodDisruptionBudget: findObject(objects, 'PodDisruptionBudget').spec.selector.matchLabels,
    };
    for (const [kind, selector] of Object.entries(selectors)) {
      assert.deepEqual(selector, SELECTOR, kind);
      assert.ok(matches(selector, podLabels), kind);
      assert.equal(matches(selector, testPod.metadata.labels), false, kind);
    }
    assert.equal(testPod.metadata.annotations?.['helm.sh/hook'], 'test');
  });

  test('every object carries the standard app.kubernetes.io and helm.sh/chart labels', () => {
    for (const object of [
      ...objects,
      { ...deployment(objects), metadata: deployment(objects).spec.template.metadata },
    ]) {
      const labels = object.metadata.labels ?? {};
      assert.equal(labels['helm.sh/chart'], 'warmscale-0.1.0', object.kind);
      assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm', object.kind);
      assert.equal(labels['app.kubernetes.io/instance'], RELEASE, object.kind);
      assert.match(labels['app.kubernetes.io/name'] ?? '', /^warmscale(-test)?$/, object.kind);
    }
    assert.equal(deployment(objects).metadata.labels?.['app.kubernetes.io/version'], '0.1.0');
  });

  test('the Service carries no prometheus.io annotations while the ServiceMonitor scrapes, so no pod is scraped twice', () => {
    assert.equal(findObject(objects, 'Service').metadata.annotations, undefined);
    assert.equal(findObject(objects, 'ServiceMonitor').spec.endpoints.length, 1);
  });

  test('the pods run as the namespace default ServiceAccount without its token, at the default priority', () => {
    const pod = deployment(objects).spec.template.spec;
    assert.equal(pod.serviceAccountName, 'default');
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal('priorityClassName' in pod, false);
    assert.equal('command' in appContainer(objects), false);
    assert.equal('args' in appContainer(objects), false);
    assert.equal('envFrom' in appContainer(objects), false);
    assert.deepEqual(objectsOfKind(objects, 'ServiceAccount'), []);
  });
  test('the probes hit /startupz, /readyz and /livez on the http port, the startup budget covering boot plus warm-up', () => {
    const c = appContainer(objects);
    assert.deepEqual(c.startupProbe, {
      httpGet: { path: '/startupz', port: 'http' },
      periodSeconds: 2,
      timeoutSeconds: 1,
      failureThreshold: 20,
      successThreshold: 1,
    });
    assert.deepEqual(c.readinessProbe, {
      httpGet: { path: '/readyz', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 1,
      failureThreshold: 2,
      successThreshold: 1,
    });
    assert.deepEqual(c.livenessProbe, {
      httpGet: { path: '/livez', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
      successThreshold: 1,
    });
    const warmupBudgetSeconds = Number(containerEnv(objects).WARMSCALE_WARMUP_BUDGET_MS) / 1000;
    assert.equal(warmupBudgetSeconds, 30);
    // 20 x 2 s = 40 s >= 10 s boot + 30 s warm-up.
    assert.ok(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds >= 10 + warmupBudgetSeconds);
  });

  test('the grace period exceeds preStop + shutdown delay + drain and preStop + shutdown timeout', () => {
    const pod = deployment(objects).spec.template.spec;
    const e = containerEnv(objects);
    const preStop = appContainer(objects).lifecycle.preStop.sleep.seconds as number;
    assert.equal(preStop, 5);
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.equal(Number(e.WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS), preStop);
    assert.equal(Number(e.WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS), pod.terminationGracePeriodSeconds);
    const delay = Number(e.WARMSCALE_SHUTDOWN_DELAY_MS) / 1000;
    const drain = Number(e.WARMSCALE_SHUTDOWN_DRAIN_TIMEOUT_MS) / 1000;
    const timeout = Number(e.WARMSCALE_SHUTDOWN_TIMEOUT_MS) / 1000;
    assert.ok(timeout >= delay + drain, `${timeout} >= ${delay} + ${drain}`);
    assert.ok(pod.terminationGracePeriodSeconds > preStop + delay + drain);
    assert.ok(pod.terminationGracePeriodSeconds > preStop + timeout);
  });

  test("the app receives the middleware's WARMSCALE_* settings in the middleware's units", () => {
    assert.deepEqual(appContainer(objects).env, [
      { name: 'PORT', value: '8080' },
      { name: 'HOST', value: '0.0.0.0' },
      { name: 'WARMSCALE_METRICS_PATH', value: '/metrics' },
      { name: 'WARMSCALE_METRICS_REQUESTS_TOTAL_NAME', value: 'httpserver_requests_total' },
      { name: 'WARMSCALE_WARMUP_ENABLED', value: 'true' },
      { name: 'WARMSCALE_WARMUP_BUDGET_MS', value: '30000' },
      { name: 'WARMSCALE_SHUTDOWN_DELAY_MS', value: '5000' },
      { name: 'WARMSCALE_SHUTDOWN_DRAIN_TIMEOUT_MS', value: '10000' },
      { name: 'WARMSCALE_SHUTDOWN_TIMEOUT_MS', value: '20000' },
      { name: 'WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS', value: '5' },
      { name: 'WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS', value: '30' },
      { name: 'WARMSCALE_CONNECTIONS_MAX_REQUESTS', value: '1000' },
      { name: 'WARMSCALE_CONNECTIONS_MAX_AGE_MS', value: '30000' },
      { name: 'WARMSCALE_CONNECTIONS_MAX_AGE_JITTER', value: '0.1' },
      { name: 'WARMSCALE_ADMISSION_MAX_IN_FLIGHT', value: '0' },
      { name: 'WARMSCALE_ADMISSION_SLOW_START_MS', value: '0' },
      { name: 'WARMSCALE_ADMISSION_SLOW_START_MIN_SHARE', value: '0.1' },
      { name: 'WARMSCALE_ADMISSION_SLOW_START_AGGRESSION', value: '1' },
      { name: 'WARMSCALE_ADMISSION_MAX_EVENT_LOOP_DELAY_MS', value: '500' },
      { name: 'WARMSCALE_ADMISSION_RETRY_AFTER_SECONDS', value: '1' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
  });

  test('the pod runs non-root with a read-only root filesystem, a /tmp emptyDir, no capabilities and RuntimeDefault seccomp', () => {
    const pod = deployment(objects).spec.template.spec;
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    assert.deepEqual(appContainer(objects).securityContext, {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.deepEqual(appContainer(objects).volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }]);
    assert.deepEqual(pod.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(appContainer(objects).resources, {
      requests: { cpu: '100m', memory: '128Mi' },
      limits: { memory: '256Mi' },
    });
  });

  test('the PodDisruptionBudget lets one pod go at a time and evicts unhealthy pods', () => {
    const pdb = findObject(objects, 'PodDisruptionBudget');
    assert.equal(pdb.apiVersion, 'policy/v1');
    assert.deepEqual(pdb.spec, {
      maxUnavailable: 1,
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
      selector: { matchLabels: SELECTOR },
    });
  });
});

function adapterRuleAnnotation(objects: readonly K8sObject[], key: string): string | undefined {
  return findObject(objects, 'ConfigMap', `${FULLNAME}-adapter-rule`).metadata.annotations?.[key];
}

describe('chart values', () => {
  test('service.prometheusScrape annotates the Service with the container port and metrics path', async () => {
    const objects = await renderChart({ service: { prometheusScrape: true }, serviceMonitor: { enabled: false } });
    assert.deepEqual(findObject(objects, 'Service').metadata.annotations, {
      'prometheus.io/scrape': 'true',
      'prometheus.io/scheme': 'http',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
  });

  test('a fixed-size Deployment sets replicas and keeps its PodDisruptionBudget with a single replica', async () => {
    const objects = await renderChart({ replicaCount: 1, autoscaling: { enabled: false } });
    assert.equal(deployment(objects).spec.replicas, 1);
    assert.deepEqual(objectsOfKind(objects, 'HorizontalPodAutoscaler'), []);
    assert.equal(findObject(objects, 'PodDisruptionBudget').spec.maxUnavailable, 1);
  });

  test('the KEDA ScaledObject scales the Deployment on the total QPS per replica with the HPA behavior', async () => {
    const objects = await renderChart({ autoscaling: { enabled: false }, keda: { enabled: true } });
    assert.deepEqual(objectsOfKind(objects, 'HorizontalPodAutoscaler'), []);
    assert.equal('replicas' in deployment(objects).spec, false);
    const scaledObject = findObject(objects, 'ScaledObject', FULLNAME);
    assert.equal(scaledObject.apiVersion, 'keda.sh/v1alpha1');
    assert.deepEqual(scaledObject.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: FULLNAME },
      pollingInterval: 15,
      minReplicaCount: 2,
      maxReplicaCount: 10,
      fallback: { failureThreshold: 3, replicas: 2, behavior: 'currentReplicasIfHigher' },
      advanced: { horizontalPodAutoscalerConfig: { behavior: DEFAULT_BEHAVIOR } },
      triggers: [
        {
          type: 'prometheus',
          metricType: 'AverageValue',
          metadata: {
            serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
            query: `sum(rate(httpserver_requests_total{namespace="${NAMESPACE}",service="${FULLNAME}"}[1m]))`,
            threshold: '50',
            ignoreNullValues: 'false',
          },
        },
      ],
    });
  });

  test('KEDA is outage-safe by default: an empty query result is an error, and failures keep the current replicas', async () => {
    const objects = await renderChart({ autoscaling: { enabled: false }, keda: { enabled: true } });
    const spec = findObject(objects, 'ScaledObject', FULLNAME).spec;
    // ignoreNullValues defaults to true in KEDA, which reads an outage as 0 QPS and scales to the minimum
    // (kedacore/keda#3065); the chart turns it off and falls back to max(current, minReplicas) after 3 failures.
    assert.equal(spec.triggers[0].metadata.ignoreNullValues, 'false');
    assert.deepEqual(spec.fallback, { failureThreshold: 3, replicas: 2, behavior: 'currentReplicasIfHigher' });
  });

  test('keda.fallback sets its threshold, replicas and behavior, and enabled: false leaves it out', async () => {
    const keda = {
      enabled: true,
      ignoreNullValues: true,
      fallback: { failureThreshold: 5, replicas: 6, behavior: 'static' },
    };
    const objects = await renderChart({ autoscaling: { enabled: false }, keda });
    const spec = findObject(objects, 'ScaledObject', FULLNAME).spec;
    assert.deepEqual(spec.fallback, { failureThreshold: 5, replicas: 6, behavior: 'static' });
    assert.equal(spec.triggers[0].metadata.ignoreNullValues, 'true');
    const without = await renderChart({
      autoscaling: { enabled: false },
      keda: { enabled: true, fallback: { enabled: false } },
    });
    assert.equal('fallback' in findObject(without, 'ScaledObject', FULLNAME).spec, false);
  });

  test('an HPA on QPS and CPU adds a CPU Utilization metric and KEDA a cpu trigger', async () => {
    const cpu = { cpu: { enabled: true, targetUtilization: 75 } };
    const hpaObjects = await renderChart({ autoscaling: cpu });
    assert.deepEqual(hpa(hpaObjects).spec.metrics[1], {
      type: 'Resource',
      resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } },
    });
    assert.equal(hpa(hpaObjects).spec.metrics.length, 2);
    const kedaObjects = await renderChart({
      autoscaling: { ...cpu, enabled: false },
      keda: { enabled: true, fallback: { enabled: false } },
    });
    assert.deepEqual(findObject(kedaObjects, 'ScaledObject').spec.triggers[1], {
      type: 'cpu',
      metricType: 'Utilization',
      metadata: { value: '75' },
    });
  });

  test('a decimal QPS target given with --set reaches the HPA averageValue and the KEDA threshold as is', async () => {
    const set = ['--set', 'autoscaling.targetQPSPerPod=12.5'];
    assert.deepEqual(hpa(await renderChart({}, set)).spec.metrics[0].pods.target, {
      type: 'AverageValue',
      averageValue: '12.5',
    });
    const kedaObjects = await renderChart({ autoscaling: { enabled: false }, keda: { enabled: true } }, set);
    assert.equal(findObject(kedaObjects, 'ScaledObject').spec.triggers[0].metadata.threshold, '12.5');
  });

  test("a custom counter name renames the app's counter, the adapter series, the HPA metric and the KEDA query consistently", async () => {
    const metrics = { counterName: 'shop_http_requests_total' };
    const objects = await renderChart({ metrics });
    assert.equal(containerEnv(objects).WARMSCALE_METRICS_REQUESTS_TOTAL_NAME, 'shop_http_requests_total');
    const rule = adapterRule(objects);
    assert.equal(rule.seriesQuery, 'shop_http_requests_total{namespace!="",pod!=""}');
    assert.equal(adapterMetricName(rule, seriesName(rule)), 'shop_http_requests_qps');
    assert.equal(hpa(objects).spec.metrics[0].pods.metric.name, 'shop_http_requests_qps');
    const kedaObjects = await renderChart({ metrics, autoscaling: { enabled: false }, keda: { enabled: true } });
    assert.equal(
      findObject(kedaObjects, 'ScaledObject').spec.triggers[0].metadata.query,
      `sum(rate(shop_http_requests_total{namespace="${NAMESPACE}",service="${FULLNAME}"}[1m]))`,
    );
  });

  test('the grace period is derived from a longer shutdown budget', async () => {
    const objects = await renderChart({ shutdown: { drainTimeoutSeconds: 30, timeoutSeconds: 40 } });
    assert.equal(deployment(objects).spec.template.spec.terminationGracePeriodSeconds, 50);
    assert.equal(containerEnv(objects).WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS, '50');
    assert.equal(containerEnv(objects).WARMSCALE_SHUTDOWN_TIMEOUT_MS, '40000');
  });

  test('an explicit grace period above preStop + shutdown timeout is used as is', async () => {
    const objects = await renderChart({ shutdown: { terminationGracePeriodSeconds: 26 } });
    assert.equal(deployment(objects).spec.template.spec.terminationGracePeriodSeconds, 26);
    assert.equal(containerEnv(objects).WARMSCALE_SHUTDOWN_GRACE_PERIOD_SECONDS, '26');
  });

  test('preStopSleepSeconds 0 renders no preStop hook and leaves it out of the grace period', async () => {
    const objects = await renderChart({ shutdown: { preStopSleepSeconds: 0 } });
    assert.equal('lifecycle' in appContainer(objects), false);
    assert.equal(containerEnv(objects).WARMSCALE_SHUTDOWN_PRE_STOP_SLEEP_SECONDS, '0');
    assert.equal(deployment(objects).spec.template.spec.terminationGracePeriodSeconds, 25);
  });

  test('the startupProbe failureThreshold rounds the boot plus warm-up budget up to whole periods', async () => {
    const objects = await renderChart({
      warmup: { budgetSeconds: 25 },
      probes: { startup: { bootSeconds: 10, periodSeconds: 4 } },
    });
    assert.equal(appContainer(objects).startupProbe.failureThreshold, 9);
    assert.equal(containerEnv(objects).WARMSCALE_WARMUP_BUDGET_MS, '25000');
  });

  test('warm-up off sets WARMSCALE_WARMUP_ENABLED=false and a startupProbe budget of the boot time only', async () => {
    const objects = await renderChart({ warmup: { enabled: false } });
    assert.equal(containerEnv(objects).WARMSCALE_WARMUP_ENABLED, 'false');
    assert.equal(appContainer(objects).startupProbe.failureThreshold, 5);
  });

  test('connection recycling values reach the app, 0 disabling each', async () => {
    const objects = await renderChart({ connectionRecycling: { maxRequests: 0, maxAgeSeconds: 0 } });
    assert.equal(containerEnv(objects).WARMSCALE_CONNECTIONS_MAX_REQUESTS, '0');
    assert.equal(containerEnv(objects).WARMSCALE_CONNECTIONS_MAX_AGE_MS, '0');
  });

  test('serviceMonitor.additionalLabels and interval reach the ServiceMonitor', async () => {
    const objects = await renderChart({
      serviceMonitor: { additionalLabels: { release: 'kube-prometheus-stack' }, interval: '30s' },
      adapterRule: { rateWindow: '2m' },
    });
    const monitor = findObject(objects, 'ServiceMonitor');
    assert.equal(monitor.metadata.labels?.release, 'kube-prometheus-stack');
    assert.equal(monitor.spec.endpoints[0].interval, '30s');
    assert.deepEqual(rateWindows(adapterRule(objects).metricsQuery), ['2m']);
  });

  test('the image tag defaults to the appVersion and image.tag overrides it', async () => {
    assert.equal(appContainer(await renderChart()).image, 'ghcr.io/warmscale/demo:0.1.0');
    const objects = await renderChart({ image: { repository: 'registry.example/shop', tag: '2.3.4' } });
    assert.equal(appContainer(objects).image, 'registry.example/shop:2.3.4');
    assert.equal(deployment(objects).metadata.labels?.['app.kubernetes.io/version'], '2.3.4');
  });

  test('monitoring off renders no ServiceMonitor, adapter ConfigMap or prometheus.io annotations', async () => {
    const objects = await renderChart({
      serviceMonitor: { enabled: false },
      adapterRule: { enabled: false },
      service: { prometheusScrape: false },
    });
    assert.deepEqual(objectsOfKind(objects, 'ServiceMonitor'), []);
    assert.deepEqual(objectsOfKind(objects, 'ConfigMap'), []);
    assert.equal(findObject(objects, 'Service').metadata.annotations, undefined);
  });
});
