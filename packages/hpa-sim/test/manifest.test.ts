// Reading HPA manifests: defaults, validation messages, and picking the HPA out of `helm template` output.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SCALE_DOWN_RULES, DEFAULT_SCALE_UP_RULES, ManifestError, parseHpa, pickHpa } from '@warmscale/hpa-sim';

const CHART_HPA = `# Source: warmscale/templates/hpa.yaml
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: demo-warmscale
  namespace: shop
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: demo-warmscale}
  minReplicas: 2
  maxReplicas: 10
  metrics:
    - type: Pods
      pods:
        metric: {name: httpserver_requests_qps}
        target: {type: AverageValue, averageValue: "50"}
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 75}
  behavior:
    scaleUp:
      selectPolicy: Min
      policies: [{type: Pods, value: 1, periodSeconds: 60}, {type: Percent, value: 5, periodSeconds: 180}]
      tolerance: 50m
    scaleDown:
      stabilizationWindowSeconds: 600
`;

const helmOutput = (hpas: string) => `---
# Source: warmscale/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: demo-warmscale}
spec: {ports: [{port: 80}]}
---
${hpas}`;

function hpaWith(spec: string): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
${spec}`;
}

describe('parseHpa', () => {
  test('resolves the chart shape: milli-unit targets and field-by-field behavior defaults', () => {
    assert.deepEqual(parseHpa(CHART_HPA), {
      name: 'demo-warmscale',
      namespace: 'shop',
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        { type: 'Pods', name: 'httpserver_requests_qps', target: { type: 'AverageValue', averageValue: 50_000 } },
        { type: 'Resource', name: 'cpu', target: { type: 'Utilization', averageUtilization: 75 } },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Min',
          policies: [
            { type: 'Pods', value: 1, periodSeconds: 60 },
            { type: 'Percent', value: 5, periodSeconds: 180 },
          ],
          tolerance: 0.05,
        },
        scaleDown: { ...DEFAULT_SCALE_DOWN_RULES, stabilizationWindowSeconds: 600 },
      },
    });
  });

  test('an empty behavior block gets both default directions', () => {
    const spec = parseHpa(hpaWith('  maxReplicas: 3\n  behavior: {}\n'));
    assert.deepEqual(spec.behavior, { scaleUp: DEFAULT_SCALE_UP_RULES, scaleDown: DEFAULT_SCALE_DOWN_RULES });
  });

  test('no behavior keeps the legacy path, no metrics defaults to 80% CPU, no minReplicas to 1', () => {
    const spec = parseHpa(hpaWith('  maxReplicas: 3\n'));
    assert.deepEqual(
      [spec.behavior, spec.metrics, spec.minReplicas, spec.namespace],
      [
        null,
        [{ type: 'Resource', name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } }],
        1,
        'default',
      ],
    );
  });

  test('accepts an object as parsed from JSON', () => {
    const spec = parseHpa({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        maxReplicas: 4,
        metrics: [
          { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '1500m' } } },
        ],
      },
    });
    assert.deepEqual(spec.metrics, [
      { type: 'Pods', name: 'qps', target: { type: 'AverageValue', averageValue: 1500 } },
    ]);
  });

  const errors: [string, string, string][] = [
    [
      'a Pods metric without averageValue',
      '  maxReplicas: 3\n  metrics: [{type: Pods, pods: {metric: {name: qps}, target: {type: AverageValue}}}]\n',
      'spec.metrics[0].pods.target.averageValue must be a quantity such as "50" or "500m" (got undefined)',
    ],
    [
      'a malformed quantity',
      '  maxReplicas: 3\n  metrics: [{type: Pods, pods: {metric: {name: qps}, target: {averageValue: 5K}}}]\n',
      `spec.metrics[0].pods.target.averageValue: "5K" is not a quantity: unknown suffix "K" (quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$')`,
    ],
    [
      'a zero target',
      "  maxReplicas: 3\n  metrics: [{type: Pods, pods: {metric: {name: qps}, target: {averageValue: '0'}}}]\n",
      'spec.metrics[0].pods.target.averageValue must be a positive quantity (got "0")',
    ],
    [
      'maxReplicas below minReplicas',
      '  minReplicas: 5\n  maxReplicas: 3\n',
      'spec.maxReplicas must be >= spec.minReplicas (got 3 < 5)',
    ],
    [
      'a period above 1800 s',
      '  maxReplicas: 3\n  behavior: {scaleUp: {policies: [{type: Pods, value: 1, periodSeconds: 3600}]}}\n',
      'spec.behavior.scaleUp.policies[0].periodSeconds must be an integer in [1, 1800] (got 3600)',
    ],
    [
      'an empty policy list',
      '  maxReplicas: 3\n  behavior: {scaleDown: {policies: []}}\n',
      'spec.behavior.scaleDown.policies must list at least one policy (got [])',
    ],
    [
      'an unknown selectPolicy',
      '  maxReplicas: 3\n  behavior: {scaleDown: {selectPolicy: Fastest}}\n',
      'spec.behavior.scaleDown.selectPolicy must be one of Max, Min, Disabled (got "Fastest")',
    ],
    [
      'a window above 3600 s',
      '  maxReplicas: 3\n  behavior: {scaleDown: {stabilizationWindowSeconds: 7200}}\n',
      'spec.behavior.scaleDown.stabilizationWindowSeconds must be an integer in [0, 3600] (got 7200)',
    ],
    [
      'a ContainerResource metric',
      '  maxReplicas: 3\n  metrics: [{type: ContainerResource}]\n',
      'spec.metrics[0].type ContainerResource is not supported: use a Resource metric',
    ],
  ];
  for (const [name, spec, message] of errors) {
    test(`rejects ${name} with a message naming the field`, () => {
      assert.throws(() => parseHpa(hpaWith(spec)), new ManifestError(message));
    });
  }

  test('rejects autoscaling/v1', () => {
    assert.throws(
      () =>
        parseHpa(
          'apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {maxReplicas: 3}\n',
        ),
      new ManifestError('apiVersion must be one of autoscaling/v2, autoscaling/v2beta2 (got "autoscaling/v1")'),
    );
  });
});

describe('pickHpa', () => {
  test('picks the HPA out of helm template output', () => {
    assert.equal(pickHpa(helmOutput(CHART_HPA)).metadata.name, 'demo-warmscale');
  });

  test('picks one of several HPAs by name', () => {
    const two = helmOutput(`${hpaWith('  maxReplicas: 3\n')}\n---\n${CHART_HPA}`);
    assert.equal(pickHpa(two, 'demo-warmscale').metadata.name, 'demo-warmscale');
    assert.throws(
      () => pickHpa(two),
      new ManifestError('2 HorizontalPodAutoscalers found (web, demo-warmscale): choose one by name'),
    );
    assert.throws(
      () => pickHpa(two, 'api'),
      new ManifestError('no HorizontalPodAutoscaler named "api" (found: web, demo-warmscale)'),
    );
  });

  test('reports a stream without an HPA', () => {
    assert.throws(
      () => pickHpa(helmOutput('')),
      new ManifestError('no HorizontalPodAutoscaler found among 1 YAML document(s)'),
    );
  });

  test('reports malformed YAML with its position', () => {
    assert.throws(
      () => pickHpa('kind: HorizontalPodAutoscaler\nspec: [\n'),
      /^ManifestError: invalid YAML: .* at line \d+, column \d+:$/,
    );
  });
});
