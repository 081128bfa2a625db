import { assertKubectl, composition, kustomizations, render, type K8sObject } from './support/k8s.js';
import { allComponents } from './support/k8s-components.js';

/**
 * What the Kubernetes manifests say about metrics and access control: where Prometheus
 * scrapes (the base's annotations or components/monitoring's ServiceMonitor), and the API
 * keys Secret (optional in the base, required by components/access-control/api-keys). Schema
 * validation, probes and the rest are in k8s-manifests*.e2e-spec.ts.
 */

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Deployment extends K8sObject {
  spec: {
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: {
        containers: Container[];
        volumes?: { name: string; secret?: { secretName: string; optional?: boolean; defaultMode?: number } }[];
      };
    };
  };
}

function only<T extends K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((object) => object.kind === kind);
  expect(found.map((object) => `${object.kind}/${object.metadata.name}`)).toHaveLength(1);
  return found[0] as T;
}
const spec = (object: K8sObject) => object.spec as Record<string, unknown>;
function server(deployment: Deployment): Container {
  const container = deployment.spec.template.spec.containers.find((candidate) => candidate.name === 'kv-server');
  if (container === undefined) throw new Error('no container named kv-server');
  return container;
}

beforeAll(() => assertKubectl());

const API_KEYS = composition(['k8s/components/access-control/api-keys']);

describe.each([...kustomizations(), ...allComponents().map((component) => composition([component]))])('%s', (dir) => {
  it('tells Prometheus where to scrape: pod annotations or a ServiceMonitor of the Service, not both', () => {
    const objects = render(dir);
    const deployment = only<Deployment>(objects, 'Deployment');
    const annotations = deployment.spec.template.metadata.annotations ?? {};
    const monitors = objects.filter((object) => object.kind === 'ServiceMonitor');
    const annotated = annotations['prometheus.io/scrape'] === 'true';
    expect({ annotated, monitors: monitors.length }).toEqual({ annotated, monitors: annotated ? 0 : 1 });
    if (annotated) {
      const http = (server(deployment).ports ?? []).find((port) => port.name === 'http');
      expect(annotations['prometheus.io/port']).toBe(String(http?.containerPort));
      expect(annotations['prometheus.io/path']).toBe('/metrics');
    }
    const service = only(objects, 'Service');
    const servicePorts = (spec(service).ports as { name?: string }[]).map((port) => port.name);
    for (const monitor of monitors) {
      const monitorSpec = spec(monitor) as {
        selector: LabelSelector;
        namespaceSelector?: unknown;
        endpoints: { port?: string; path?: string; scheme?: string }[];
      };
      // It finds the Service (in its own namespace) by the Service's labels ...
      expect(monitorSpec.selector.matchExpressions ?? []).toEqual([]);
      expect(Object.keys(monitorSpec.selector.matchLabels ?? {}).length).toBeGreaterThan(0);
      expect(service.metadata.labels ?? {}).toMatchObject(monitorSpec.selector.matchLabels ?? {});
      expect(monitorSpec.namespaceSelector).toBeUndefined();
      // ... and scrapes /metrics on its named port, over plain HTTP.
      expect(monitorSpec.endpoints.length).toBeGreaterThan(0);
      for (const endpoint of monitorSpec.endpoints) {
        expect(endpoint).toMatchObject({ port: 'http', path: '/metrics' });
        expect(servicePorts).toContain(endpoint.port);
        expect(endpoint.scheme ?? 'http').toBe('http');
      }
    }
  });
});

describe('the API keys Secret', () => {
  const apiKeys = (dir: string) => {
    const deployment = only<Deployment>(render(dir), 'Deployment');
    const volume = deployment.spec.template.spec.volumes?.find((candidate) => candidate.name === 'api-keys');
    const container = server(deployment);
    const mount = container.volumeMounts?.find((candidate) => candidate.name === 'api-keys');
    const file = container.env?.find((variable) => variable.name === 'KV_API_KEYS_FILE')?.value;
    return { volume, mount, file };
  };

  it('is mounted optionally and not read by the base: it runs without the Secret', () => {
    const { volume, mount, file } = apiKeys('k8s/base');
    expect(volume?.secret).toEqual({ secretName: 'kv-server-api-keys', optional: true, defaultMode: 0o440 });
    expect(mount).toEqual({ name: 'api-keys', mountPath: '/etc/kv-server/api-keys', readOnly: true });
    expect(file).toBeUndefined();
  });

  it.each([API_KEYS, 'k8s/overlays/production'])('is required and read by %s', (dir) => {
    const { volume, mount, file } = apiKeys(dir);
    expect(volume?.secret).toMatchObject({ secretName: 'kv-server-api-keys', optional: false });
    expect(file).toBe(`${mount?.mountPath}/keys`);
  });
});
