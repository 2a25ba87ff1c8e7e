// The general app-chart values (named as podinfo and `helm create` name them) on the user-style render of
// ci/user-app-values.yaml: each one reaches exactly the field it is documented to set.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { chartDir } from './helm.js';
import { deployment, FULLNAME, findObject, type K8sObject, RELEASE, renderChart } from './render.js';
import { validateObject } from './validate.js';

const DIGEST = 'sha256:9b2a6c5d1e0f4a3b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b';
const SELECTOR = { 'app.kubernetes.io/name': 'warmscale', 'app.kubernetes.io/instance': RELEASE };

// biome-ignore lint/suspicious/noExplicitAny: container specs are read field by field with exact assertions.
function appContainer(objects: readonly K8sObject[]): any {
  return deployment(objects).spec.template.spec.containers[0];
}

describe('ci/user-app-values.yaml: a user image configured like any app chart', () => {
  let objects: K8sObject[];
  before(async () => {
    objects = await renderChart({}, ['-f', join(chartDir, 'ci', 'user-app-values.yaml')]);
  });

  test('image.digest pins the image as repository@digest, ahead of the tag', () => {
    assert.equal(appContainer(objects).image, `registry.example.com/shop/orders@${DIGEST}`);
    assert.equal(deployment(objects).metadata.labels?.['app.kubernetes.io/version'], '2.3.4');
  });

  test('command and args replace the image entrypoint and cmd', () => {
    assert.deepEqual(appContainer(objects).command, ['node']);
    assert.deepEqual(appContainer(objects).args, ['dist/server.js']);
  });

  test('serviceAccount.create renders a ServiceAccount named after the release that the pods use, token unmounted', () => {
    const account = findObject(objects, 'ServiceAccount', FULLNAME);
    assert.deepEqual(account.metadata.annotations, {
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/orders',
    });
    assert.equal(account.automountServiceAccountToken, false);
    const pod = deployment(objects).spec.template.spec;
    assert.equal(pod.serviceAccountName, FULLNAME);
    assert.equal(pod.automountServiceAccountToken, false);
  });

  test('envFrom, extraVolumes and extraVolumeMounts come after what the chart sets', () => {
    const c = appContainer(objects);
    assert.deepEqual(c.envFrom, [
      { secretRef: { name: 'orders-db' } },
      { configMapRef: { name: 'orders-config' }, prefix: 'ORDERS_' },
    ]);
    assert.deepEqual(c.env.at(-1), { name: 'LOG_LEVEL', value: 'info' });
    assert.deepEqual(c.volumeMounts, [
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'price-list', mountPath: '/etc/orders/prices', readOnly: true },
    ]);
    assert.deepEqual(deployment(objects).spec.template.spec.volumes, [
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      { name: 'price-list', configMap: { name: 'orders-price-list' } },
    ]);
  });

  test('priorityClassName, podLabels and podAnnotations reach the pod template, selectors unchanged', () => {
    const template = deployment(objects).spec.template;
    assert.equal(template.spec.priorityClassName, 'high-priority');
    assert.equal(template.metadata.labels.team, 'shop');
    assert.deepEqual(template.metadata.annotations, { 'example.com/owner': 'shop-team' });
    assert.deepEqual(deployment(objects).spec.selector.matchLabels, SELECTOR);
  });

  test('the Ingress routes the host and path to the Service port http, with TLS and the class', () => {
    const ingress = findObject(objects, 'Ingress', FULLNAME);
    assert.deepEqual(ingress.metadata.annotations, { 'cert-manager.io/cluster-issuer': 'letsencrypt' });
    assert.deepEqual(ingress.spec, {
      ingressClassName: 'nginx',
      tls: [{ secretName: 'orders-example-com-tls', hosts: ['orders.example.com'] }],
      rules: [
        {
          host: 'orders.example.com',
          http: {
            paths: [
              { path: '/api', pathType: 'Prefix', backend: { service: { name: FULLNAME, port: { name: 'http' } } } },
            ],
          },
        },
      ],
    });
  });

  test('the HTTPRoute attaches to the Gateway and sends each rule to the Service port', () => {
    const route = findObject(objects, 'HTTPRoute', FULLNAME);
    assert.equal(route.apiVersion, 'gateway.networking.k8s.io/v1');
    assert.deepEqual(route.spec, {
      parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }],
      hostnames: ['orders.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
          backendRefs: [{ name: FULLNAME, port: 80 }],
        },
      ],
    });
  });

  test('the NetworkPolicy admits only the http port, from Prometheus, the helm test pod and the peers given', () => {
    const policy = findObject(objects, 'NetworkPolicy', FULLNAME);
    assert.deepEqual(policy.spec, {
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ['Ingress'],
      ingress: [
        {
          ports: [{ port: 'http', protocol: 'TCP' }],
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
              podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
            },
            {
              podSelector: {
                matchLabels: { 'app.kubernetes.io/name': 'warmscale-test', 'app.kubernetes.io/instance': RELEASE },
              },
            },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
          ],
        },
      ],
    });
    const testPod = findObject(objects, 'Pod', `${FULLNAME}-test`);
    // The helm test pod's own labels are the ones the policy admits.
    assert.equal(testPod.metadata.labels?.['app.kubernetes.io/name'], 'warmscale-test');
    assert.equal(testPod.metadata.labels?.['app.kubernetes.io/instance'], RELEASE);
  });
});

describe('general values one by one', () => {
  test('image.tag is used when no digest is set', async () => {
    const objects = await renderChart({ image: { repository: 'registry.example.com/shop/orders', tag: '2.3.4' } });
    assert.equal(appContainer(objects).image, 'registry.example.com/shop/orders:2.3.4');
  });

  test('an existing ServiceAccount is used by name, and automount mounts its token', async () => {
    const objects = await renderChart({ serviceAccount: { name: 'orders', automount: true } });
    assert.equal(
      objects.some((o) => o.kind === 'ServiceAccount'),
      false,
    );
    assert.equal(deployment(objects).spec.template.spec.serviceAccountName, 'orders');
    assert.equal(deployment(objects).spec.template.spec.automountServiceAccountToken, true);
  });

  test('an Ingress host without a name matches every host', async () => {
    const hosts = [{ host: '', paths: [{ path: '/', pathType: 'Prefix' }] }];
    const ingress = findObject(await renderChart({ ingress: { enabled: true, hosts } }), 'Ingress', FULLNAME);
    assert.deepEqual(ingress.spec, {
      rules: [
        {
          http: {
            paths: [
              { path: '/', pathType: 'Prefix', backend: { service: { name: FULLNAME, port: { name: 'http' } } } },
            ],
          },
        },
      ],
    });
    validateObject(ingress);
  });

  test('the HTTPRoute check refuses a Service backend without a port and an unknown rule field', async () => {
    const route = findObject(await renderChart({ httpRoute: { enabled: true } }), 'HTTPRoute', FULLNAME);
    validateObject(route);
    const rule = route.spec.rules[0];
    assert.throws(
      () =>
        validateObject({ ...route, spec: { ...route.spec, rules: [{ ...rule, backendRefs: [{ name: FULLNAME }] }] } }),
      /HTTPRoute demo-warmscale is invalid: spec\.rules\[0\]\.backendRefs\[0\]\.port must be a port number/,
    );
    assert.throws(
      () => validateObject({ ...route, spec: { ...route.spec, rules: [{ ...rule, backend: {} }] } }),
      /HTTPRoute demo-warmscale is invalid: spec\.rules\[0\] has an unknown field \(got "backend"\)/,
    );
  });
});
