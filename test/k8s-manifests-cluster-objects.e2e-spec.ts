import { assertKubectl } from './support/k8s.js';
import { manifestDirs, manifestsOf, NAME_LABEL } from './support/k8s-manifests.js';
import { expectSelects, find, only, spec, type LabelSelector } from './support/k8s-objects.js';

/**
 * What goes with the Deployment in every kustomization, and in the base with each
 * component: the Service, the PodDisruptionBudget, the autoscaler (an HPA or a KEDA
 * ScaledObject) and the NetworkPolicy. Rendering and schemas: k8s-manifests.e2e-spec.ts.
 */

const DIRS = manifestDirs();

beforeAll(() => assertKubectl());

describe.each(DIRS)('%s', (dir) => {
  const { objects, deployment, podLabels } = manifestsOf(dir);

  it('exposes the named port through a ClusterIP Service that selects the pods', () => {
    const service = only(objects(), 'Service');
    const serviceSpec = spec(service) as { type?: string; selector?: Record<string, string>; ports: unknown[] };
    expect(serviceSpec.type ?? 'ClusterIP').toBe('ClusterIP');
    expectSelects({ matchLabels: serviceSpec.selector }, podLabels());
    expect(serviceSpec.ports).toEqual([expect.objectContaining({ name: 'http', port: 80, targetPort: 'http' })]);
  });

  it('has a PodDisruptionBudget on the pods that still lets a node drain', () => {
    const budget = spec(only(objects(), 'PodDisruptionBudget')) as {
      selector: LabelSelector;
      maxUnavailable?: number;
      minAvailable?: number;
    };
    expectSelects(budget.selector, podLabels());
    const replicas = deployment().spec.replicas ?? 1;
    if (budget.minAvailable !== undefined) expect(budget.minAvailable).toBeLessThan(replicas);
    else expect(budget.maxUnavailable).toBeGreaterThanOrEqual(1);
  });

  it('has one autoscaler (an HPA, or a KEDA ScaledObject that makes one) on the Deployment, CPU among its metrics', () => {
    const hpas = find(objects(), 'HorizontalPodAutoscaler');
    const scaledObjects = find(objects(), 'ScaledObject');
    expect(hpas.length + scaledObjects.length).toBe(dir === 'k8s/overlays/dev' ? 0 : 1);
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment().metadata.name };
    for (const hpa of hpas) {
      const hpaSpec = spec(hpa) as {
        scaleTargetRef: unknown;
        minReplicas: number;
        maxReplicas: number;
        metrics: unknown[];
        behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } };
      };
      expect(hpaSpec.scaleTargetRef).toEqual(target);
      expect(hpaSpec.minReplicas).toBe(deployment().spec.replicas);
      expect(hpaSpec.maxReplicas).toBeGreaterThan(hpaSpec.minReplicas);
      expect(hpaSpec.metrics).toContainEqual({
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      });
      expect(hpaSpec.behavior?.scaleDown?.stabilizationWindowSeconds).toBeGreaterThan(0);
    }
    for (const scaledObject of scaledObjects) {
      const scaledSpec = spec(scaledObject) as {
        scaleTargetRef: unknown;
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metricType?: string; metadata: Record<string, string> }[];
        advanced?: {
          horizontalPodAutoscalerConfig?: { behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } } };
        };
      };
      expect(scaledSpec.scaleTargetRef).toEqual(target);
      expect(scaledSpec.minReplicaCount).toBe(deployment().spec.replicas);
      expect(scaledSpec.maxReplicaCount).toBeGreaterThan(scaledSpec.minReplicaCount);
      expect(scaledSpec.triggers).toContainEqual({
        type: 'cpu',
        metricType: 'Utilization',
        metadata: { containerName: 'kv-server', value: '70' },
      });
      expect(scaledSpec.triggers.map((trigger) => trigger.type)).toContain('prometheus');
      const behavior = scaledSpec.advanced?.horizontalPodAutoscalerConfig?.behavior;
      expect(behavior?.scaleDown?.stabilizationWindowSeconds).toBeGreaterThan(0);
    }
  });

  it('admits traffic to the named port only, from the namespace and labelled clients', () => {
    const policy = spec(only(objects(), 'NetworkPolicy')) as {
      podSelector: LabelSelector;
      policyTypes: string[];
      ingress: { from?: { podSelector?: LabelSelector; namespaceSelector?: LabelSelector }[]; ports?: unknown[] }[];
    };
    expectSelects(policy.podSelector, podLabels());
    expect(policy.policyTypes).toContain('Ingress');
    expect(policy.ingress.length).toBeGreaterThan(0);
    for (const rule of policy.ingress) {
      expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
      // kustomize's includeSelectors would add the app label here and admit only kv-server itself.
      for (const peer of rule.from ?? []) expect(peer.podSelector?.matchLabels?.[NAME_LABEL]).toBeUndefined();
    }
    expect(policy.ingress.flatMap((rule) => rule.from ?? [])).toContainEqual({ podSelector: {} });
  });
});
