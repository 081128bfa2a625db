import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parse } from 'yaml';
import { assertKubectl, composition, render, ROOT, validateSchemas, type K8sObject } from './support/k8s.js';
import { allComponents, componentCombinations, componentGroups } from './support/k8s-components.js';
import { find, only, spec, type Deployment, type LabelSelector } from './support/k8s-objects.js';
import { startTestApp, type TestApp } from './support/test-app.js';

/**
 * The components under k8s/components, in every combination an overlay may list
 * (from each group of alternatives none or one): each renders with the base, every
 * object is valid against its schema (the CRDs' own for KEDA, the Gateway API and the
 * Prometheus Operator), and what the objects point at exists in the same render. Then
 * what each ingress routes, and its timeouts, against the application itself.
 */

const COMBINATIONS = componentCombinations();
const TARGETS = COMBINATIONS.map((components) => composition(components));

interface ServicePort {
  name?: string;
  port: number;
}
interface Rule {
  from?: { namespaceSelector?: LabelSelector; podSelector?: LabelSelector }[];
  ports?: unknown[];
}
const servicePorts = (objects: K8sObject[]) => (spec(only(objects, 'Service')).ports as ServicePort[]) ?? [];
const policyRules = (objects: K8sObject[]) => (spec(only(objects, 'NetworkPolicy')).ingress as Rule[]) ?? [];
const namespacesAdmitted = (objects: K8sObject[]) =>
  policyRules(objects).flatMap((rule) =>
    (rule.from ?? []).flatMap((peer) => {
      const name = peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'];
      return name === undefined ? [] : [name];
    }),
  );

beforeAll(() => assertKubectl());

it('finds each component, and the groups whose members are alternatives', () => {
  const groups = Object.fromEntries(componentGroups().map((group) => [group.name, group.members]));
  expect(groups).toEqual({
    'access-control': ['k8s/components/access-control/api-keys', 'k8s/components/access-control/client-roles'],
    ingress: ['k8s/components/ingress/gateway-api', 'k8s/components/ingress/ingress'],
    monitoring: ['k8s/components/monitoring'],
    'traffic-autoscaling': ['k8s/components/traffic-autoscaling'],
  });
  // None or one of each group: 3 x 3 x 2 x 2.
  expect(COMBINATIONS).toHaveLength(36);
  expect(new Set(TARGETS).size).toBe(COMBINATIONS.length);
});

it('lists in production access control, monitoring, traffic-based scaling and an ingress, each once', async () => {
  const dir = 'k8s/overlays/production';
  const kustomization = parse(await readFile(join(ROOT, dir, 'kustomization.yaml'), 'utf8')) as {
    components: string[];
  };
  const listed = kustomization.components.map((path) => posix.normalize(posix.join(dir, path)));
  expect(allComponents()).toEqual(expect.arrayContaining(listed));
  for (const group of componentGroups()) {
    expect({ group: group.name, listed: listed.filter((path) => group.members.includes(path)).length }).toEqual({
      group: group.name,
      listed: 1,
    });
  }
  const kinds = new Set(render(dir).map((object) => object.kind));
  for (const kind of ['ScaledObject', 'ServiceMonitor', 'PrometheusRule', 'Gateway', 'HTTPRoute']) {
    expect(kinds).toContain(kind);
  }
});

it('renders every combination, and every object in them is valid against its schema', () => {
  const objects = TARGETS.flatMap((target) => render(target));
  const failures = validateSchemas(objects).filter((result) => result.error !== null);
  expect(failures).toEqual([]);
});

describe.each(TARGETS)('%s', (target) => {
  const objects = () => render(target);
  const has = (component: string) => target.includes(`k8s/components/${component}`);

  it('names every object once per kind, and labels it', () => {
    const ids = objects().map((object) => `${object.kind}/${object.metadata.name}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const object of objects()) expect(object.metadata.labels?.['app.kubernetes.io/name']).toBe('kv-server');
  });

  it('scales the Deployment with exactly one autoscaler, KEDA with traffic-autoscaling', () => {
    const deployment = only<Deployment>(objects(), 'Deployment');
    const scaledObjects = find(objects(), 'ScaledObject');
    const hpas = find(objects(), 'HorizontalPodAutoscaler');
    expect({ scaledObjects: scaledObjects.length, hpas: hpas.length }).toEqual(
      has('traffic-autoscaling') ? { scaledObjects: 1, hpas: 0 } : { scaledObjects: 0, hpas: 1 },
    );
    const target = (spec([...scaledObjects, ...hpas][0]).scaleTargetRef as { name: string }).name;
    expect(target).toBe(deployment.metadata.name);
  });

  it('pairs a ServiceMonitor with its alerts, selecting the Service and its named port', () => {
    const monitors = find(objects(), 'ServiceMonitor');
    expect(monitors.length).toBe(has('monitoring') ? 1 : 0);
    expect(find(objects(), 'PrometheusRule').length).toBe(monitors.length);
    const service = only(objects(), 'Service');
    for (const monitor of monitors) {
      const monitorSpec = spec(monitor) as { selector: LabelSelector; endpoints: { port: string }[] };
      expect(service.metadata.labels).toMatchObject(monitorSpec.selector.matchLabels ?? {});
      const names = servicePorts(objects()).map((port) => port.name);
      for (const endpoint of monitorSpec.endpoints) expect(names).toContain(endpoint.port);
    }
    const monitoringAdmitted = namespacesAdmitted(objects()).includes('monitoring');
    expect(monitoringAdmitted).toBe(has('monitoring'));
  });

  it('routes the ingress to the Service port, through a listener of the Gateway in the same render', () => {
    const routes = find(objects(), 'HTTPRoute');
    const ingresses = find(objects(), 'Ingress');
    expect({ routes: routes.length, ingresses: ingresses.length }).toEqual({
      routes: has('ingress/gateway-api') ? 1 : 0,
      ingresses: has('ingress/ingress') ? 1 : 0,
    });
    const service = only(objects(), 'Service');
    const ports = servicePorts(objects());
    for (const route of routes) {
      const routeSpec = spec(route) as {
        parentRefs: { name: string; sectionName?: string }[];
        rules: { backendRefs: { name: string; port: number }[] }[];
      };
      const gateways = find(objects(), 'Gateway');
      for (const parent of routeSpec.parentRefs) {
        const gateway = gateways.find((candidate) => candidate.metadata.name === parent.name);
        const listeners = (spec(gateway!).listeners as { name: string }[]).map((listener) => listener.name);
        expect(listeners).toContain(parent.sectionName);
      }
      for (const backend of routeSpec.rules.flatMap((rule) => rule.backendRefs)) {
        expect(backend.name).toBe(service.metadata.name);
        expect(ports.map((port) => port.port)).toContain(backend.port);
      }
    }
    for (const ingress of ingresses) {
      for (const backend of ingressPaths(ingress).map((path) => path.backend.service)) {
        expect(backend.name).toBe(service.metadata.name);
        expect(ports.map((port) => port.name)).toContain(backend.port.name);
      }
    }
    // The gateway's or controller's namespace is admitted exactly when an ingress is there.
    const extra = namespacesAdmitted(objects()).filter((name) => name !== 'monitoring');
    expect(extra.length).toBe(routes.length + ingresses.length);
  });

  it('mounts the access file from its required Secret exactly with access-control/client-roles', () => {
    const deployment = only<Deployment>(objects(), 'Deployment');
    const server = deployment.spec.template.spec.containers.find((container) => container.name === 'kv-server');
    const accessFile = server?.env?.find((variable) => variable.name === 'KV_ACCESS_FILE')?.value;
    const volume = deployment.spec.template.spec.volumes?.find((candidate) => candidate.name === 'access');
    const mount = (server as { volumeMounts?: { name: string; mountPath: string }[] } | undefined)?.volumeMounts?.find(
      (candidate) => candidate.name === 'access',
    );
    if (!has('access-control/client-roles')) {
      expect({ accessFile, volume }).toEqual({ accessFile: undefined, volume: undefined });
      return;
    }
    expect(volume?.secret).toMatchObject({ secretName: 'kv-server-access', optional: false });
    expect(accessFile).toBe(`${mount?.mountPath}/access.yaml`);
  });

  it('requires the API keys Secret exactly with access-control/api-keys', () => {
    const deployment = only<Deployment>(objects(), 'Deployment');
    const server = deployment.spec.template.spec.containers.find((container) => container.name === 'kv-server');
    const keysFile = server?.env?.find((variable) => variable.name === 'KV_API_KEYS_FILE');
    const volume = deployment.spec.template.spec.volumes?.find((candidate) => candidate.name === 'api-keys');
    expect({ keysFile: keysFile !== undefined, optional: volume?.secret?.optional }).toEqual(
      has('access-control/api-keys') ? { keysFile: true, optional: false } : { keysFile: false, optional: true },
    );
  });
});

interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { name?: string; number?: number } } };
}
function ingressPaths(ingress: K8sObject): IngressPath[] {
  const rules = spec(ingress).rules as { host?: string; http: { paths: IngressPath[] } }[];
  return rules.flatMap((rule) => rule.http.paths);
}

/**
 * Gateway API PathPrefix and Ingress Prefix both match whole path segments: `/key`
 * matches `/key` and `/key/a`, never `/keys`. (A model of the two specifications, to
 * ask which of the application's paths a manifest lets through.)
 */
function prefixMatches(prefix: string, path: string): boolean {
  const trimmed = prefix.replace(/\/+$/, '');
  return path === trimmed || path.startsWith(`${trimmed}/`) || trimmed === '';
}

/** The path prefixes an ingress component lets through, from its rendered object. */
function routedPrefixes(objects: K8sObject[]): string[] {
  const route = find(objects, 'HTTPRoute')[0];
  if (route !== undefined) {
    const rules = spec(route).rules as { matches: { path: { type: string; value: string } }[] }[];
    const matches = rules.flatMap((rule) => rule.matches.map((match) => match.path));
    for (const match of matches) expect(match.type).toBe('PathPrefix');
    return matches.map((match) => match.value);
  }
  const paths = ingressPaths(only(objects, 'Ingress'));
  for (const path of paths) expect(path.pathType).toBe('Prefix');
  return paths.map((path) => path.path);
}

/** "35s", "1m30s", "500ms" (the Gateway API's and HAProxy's form) in milliseconds. */
function durationMs(value: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  const parts = [...value.matchAll(/(\d+)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value)
    throw new Error(`not a duration: ${value}`);
  return parts.reduce((sum, part) => sum + Number(part[1]) * units[part[2]], 0);
}

describe.each(componentGroups().find((group) => group.name === 'ingress')!.members)('%s', (component) => {
  const objects = () => render(composition([component]));
  let testApp: TestApp;
  let appPaths: string[];

  beforeAll(async () => {
    testApp = await startTestApp(await readFile(join(ROOT, 'data', 'example.data')));
    const document = (await testApp.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    appPaths = Object.keys(document.paths).map((path) => path.replace(/\{[^}]+\}/g, 'a00087fb'));
  });
  afterAll(() => testApp.close());

  it('lets through every /keys and /key route of the app, and no other path', () => {
    const routed = (path: string) => routedPrefixes(objects()).some((prefix) => prefixMatches(prefix, path));
    const isData = (path: string) => /^\/keys?(\/|$)/.test(path);
    expect(appPaths.filter(isData).length).toBeGreaterThanOrEqual(4);
    for (const path of [...appPaths, '/docs', '/docs/openapi.json', '/keysx', '/']) {
      expect({ path, routed: routed(path) }).toEqual({ path, routed: isData(path) });
    }
    expect(routed('/health/ready')).toBe(false);
  });

  it('terminates TLS for its host with the Secret kv-server-tls, and serves no plain HTTP', () => {
    const gateway = find(objects(), 'Gateway')[0];
    if (gateway !== undefined) {
      const listeners = spec(gateway).listeners as {
        protocol: string;
        port: number;
        hostname?: string;
        tls?: { mode?: string; certificateRefs?: { kind?: string; name: string }[] };
      }[];
      expect(listeners.map((listener) => listener.protocol)).toEqual(['HTTPS']);
      expect(listeners[0]).toMatchObject({ port: 443, tls: { mode: 'Terminate' } });
      expect(listeners[0].tls?.certificateRefs).toEqual([{ kind: 'Secret', name: 'kv-server-tls' }]);
      expect(spec(only(objects(), 'HTTPRoute')).hostnames).toEqual([listeners[0].hostname]);
    } else {
      const ingressSpec = spec(only(objects(), 'Ingress')) as {
        tls: { hosts: string[]; secretName: string }[];
        rules: { host: string }[];
      };
      expect(ingressSpec.tls).toEqual([
        { hosts: ingressSpec.rules.map((rule) => rule.host), secretName: 'kv-server-tls' },
      ]);
    }
  });

  it('times out later than the app does, so that the app answers a slow request', () => {
    const server = testApp.app.getHttpServer();
    const appLimitMs = Math.max(server.requestTimeout, server.headersTimeout);
    expect(appLimitMs).toBeGreaterThan(0);
    const route = find(objects(), 'HTTPRoute')[0];
    if (route !== undefined) {
      for (const rule of spec(route).rules as { timeouts: { request: string; backendRequest: string } }[]) {
        expect(durationMs(rule.timeouts.backendRequest)).toBeGreaterThan(appLimitMs);
        expect(durationMs(rule.timeouts.request)).toBeGreaterThanOrEqual(durationMs(rule.timeouts.backendRequest));
      }
    } else {
      const annotations = only(objects(), 'Ingress').metadata.annotations as Record<string, string>;
      expect(durationMs(annotations['haproxy.org/timeout-server'])).toBeGreaterThan(appLimitMs);
    }
  });

  it('keeps no session affinity: any replica may answer any request', () => {
    for (const route of find(objects(), 'HTTPRoute')) {
      for (const rule of spec(route).rules as Record<string, unknown>[])
        expect(rule.sessionPersistence).toBeUndefined();
    }
    expect(spec(only(objects(), 'Service')).sessionAffinity ?? 'None').toBe('None');
  });
});
