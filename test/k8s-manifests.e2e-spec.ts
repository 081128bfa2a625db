import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertKubectl, render, ROOT, validateSchemas } from './support/k8s.js';
import { CONFIGMAP_LIMIT_BYTES, manifestDirs, manifestsOf, NAME_LABEL } from './support/k8s-manifests.js';
import { find } from './support/k8s-objects.js';

/**
 * The Kubernetes manifests under k8s/: every kustomization, and the base with each
 * component, renders, and every object is valid against the Kubernetes API schemas.
 * The Deployment's hardening and shutdown timing: k8s-manifests-deployment.e2e-spec.ts;
 * the Service, PodDisruptionBudget, autoscaler and NetworkPolicy:
 * k8s-manifests-cluster-objects.e2e-spec.ts; what they point at (probe paths, port,
 * env, the production overlay's remote source) working with this application:
 * k8s-manifests-against-app.e2e-spec.ts. Every combination of components:
 * k8s-components.e2e-spec.ts.
 */

const EXPECTED_KINDS = new Set([
  'apps/v1/Deployment',
  'v1/Service',
  'v1/ConfigMap',
  'v1/ServiceAccount',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy',
  // The components': the Prometheus Operator's, KEDA's, the Gateway API's, Ingress.
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'keda.sh/v1alpha1/ScaledObject',
  'gateway.networking.k8s.io/v1/Gateway',
  'gateway.networking.k8s.io/v1/HTTPRoute',
  'networking.k8s.io/v1/Ingress',
]);

const DIRS = manifestDirs();

beforeAll(() => assertKubectl());

it('finds the base and at least the production overlay', () => {
  expect(DIRS).toEqual(expect.arrayContaining(['k8s/base', 'k8s/overlays/production']));
});

it('the schema validator rejects what the API server would (so a pass means something)', () => {
  const bad = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 'eighty' }] } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 3 } },
    { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x' } },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: { name: 'x' },
      spec: { endpoints: [{ port: 8080 }] },
    },
    { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { minReplicaCount: 1 } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'x' },
      spec: { rules: [{ matches: [{ path: { type: 'Glob', value: '/keys' } }] }] },
    },
  ];
  const results = validateSchemas(bad);
  expect(results).toHaveLength(6);
  for (const result of results) expect(result.error).toEqual(expect.any(String));
});

describe.each(DIRS)('%s', (dir) => {
  const { objects } = manifestsOf(dir);

  it('renders with kubectl kustomize, every object named and labelled', () => {
    expect(objects().length).toBeGreaterThan(0);
    for (const object of objects()) {
      expect(object.metadata.name).toEqual(expect.any(String));
      expect(object.metadata.labels?.[NAME_LABEL]).toBe('kv-server');
    }
  });

  it('has only the expected kinds, each valid against the Kubernetes API schemas', () => {
    for (const object of objects()) expect(EXPECTED_KINDS).toContain(`${object.apiVersion}/${object.kind}`);
    const failures = validateSchemas(objects()).filter((result) => result.error !== null);
    expect(failures).toEqual([]);
  });

  it('keeps every ConfigMap under the 1 MiB limit', () => {
    for (const configMap of find(objects(), 'ConfigMap')) {
      expect(Buffer.byteLength(JSON.stringify(configMap))).toBeLessThan(CONFIGMAP_LIMIT_BYTES);
    }
  });
});

describe('k8s/base', () => {
  it('ships the repository example data unchanged in its ConfigMap', async () => {
    const configMaps = find(render('k8s/base'), 'ConfigMap');
    const data = configMaps.map((object) => (object.data as Record<string, string> | undefined)?.['example.data']);
    expect(data.filter((content) => content !== undefined)).toEqual([
      await readFile(join(ROOT, 'data', 'example.data'), 'utf8'),
    ]);
  });
});
