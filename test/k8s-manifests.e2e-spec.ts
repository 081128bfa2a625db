import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { assertKubectl, composition, kustomizations, render, ROOT, validateSchemas } from './support/k8s.js';
import { allComponents } from './support/k8s-components.js';
import {
  documentedDefaultPort,
  envOf,
  expectSelects,
  find,
  only,
  quantity,
  resolveEnv,
  secretFileVariables,
  spec,
  type Deployment,
  type LabelSelector,
  type Probe,
} from './support/k8s-objects.js';
import { Nginx } from './support/nginx.js';
import { startServer } from './support/server-process.js';
import { startTestApp } from './support/test-app.js';

/**
 * The Kubernetes manifests under k8s/: every kustomization, and the base with each
 * component, renders, every object is valid against the Kubernetes API schemas, the
 * Deployment keeps its hardening and shutdown timing, and what it points at (probe
 * paths, port, env, ConfigMaps, the production overlay's remote source) really works with
 * this application. Every combination of components: k8s-components.e2e-spec.ts.
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
const NAME_LABEL = 'app.kubernetes.io/name';
/** Time a drain needs after KV_SHUTDOWN_DELAY_MS before the kubelet's SIGKILL. */
const DRAIN_MARGIN_MS = 10_000;
const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

const DIRS = [...kustomizations(), ...allComponents().map((component) => composition([component]))];

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
  const objects = () => render(dir);
  const deployment = () => only<Deployment>(objects(), 'Deployment');
  const pod = () => deployment().spec.template.spec;
  const podLabels = () => deployment().spec.template.metadata.labels;
  const allContainers = () => [...(pod().initContainers ?? []), ...pod().containers];
  const server = () => {
    const container = pod().containers.find((candidate) => candidate.name === 'kv-server');
    if (container === undefined) throw new Error('no container named kv-server');
    return container;
  };

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

  it('rolls out without losing capacity, spread across nodes and zones', () => {
    const { replicas, strategy, selector } = deployment().spec;
    if (dir === 'k8s/base') expect(replicas).toBe(3);
    expect(replicas).toBeGreaterThanOrEqual(1);
    expect(strategy?.type).toBe('RollingUpdate');
    expect(strategy?.rollingUpdate?.maxUnavailable).toBe(0);
    expect(strategy?.rollingUpdate?.maxSurge).toBeTruthy();
    expectSelects(selector, podLabels());
    const spread = pod().topologySpreadConstraints ?? [];
    expect(spread.map((constraint) => constraint.topologyKey).sort()).toEqual([
      'kubernetes.io/hostname',
      'topology.kubernetes.io/zone',
    ]);
    for (const constraint of spread) {
      expect(constraint.whenUnsatisfiable).toBe('ScheduleAnyway');
      expectSelects(constraint.labelSelector, podLabels());
    }
  });

  it('names its port and probes it: startup, then readiness and liveness', () => {
    const container = server();
    const http = (container.ports ?? []).filter((port) => port.name === 'http');
    expect(http).toHaveLength(1);
    expect(http[0].protocol ?? 'TCP').toBe('TCP');
    const { startupProbe, readinessProbe, livenessProbe } = container;
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) {
      expect(probe?.httpGet?.port).toBe('http');
      expect(probe?.httpGet?.path).toMatch(/^\//);
    }
    expect(startupProbe?.httpGet?.path).toBe('/health/ready');
    expect(readinessProbe?.httpGet?.path).toBe('/health/ready');
    expect(livenessProbe?.httpGet?.path).toBe('/health/live');
    const window = (probe?: Probe) => (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3);
    // A large dataset gets at least 5 minutes to load before the kubelet restarts the pod.
    expect(window(startupProbe)).toBeGreaterThanOrEqual(300);
    // Liveness is not trigger-happy: a GC pause or a busy reload must not kill the pod.
    expect(window(livenessProbe)).toBeGreaterThanOrEqual(20);
    expect(livenessProbe?.timeoutSeconds ?? 1).toBeGreaterThanOrEqual(2);
  });

  it('leaves the endpoints before it stops serving, and exits before SIGKILL', () => {
    const delay = envOf(server()).get('KV_SHUTDOWN_DELAY_MS')?.value;
    expect(delay).toMatch(/^[1-9]\d*$/);
    const delayMs = Number(delay);
    const readiness = server().readinessProbe;
    // The kubelet notices the 503 (period x failureThreshold) within the delay.
    expect((readiness?.periodSeconds ?? 10) * (readiness?.failureThreshold ?? 3) * 1000).toBeLessThanOrEqual(delayMs);
    expect((pod().terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThanOrEqual(delayMs + DRAIN_MARGIN_MS);
  });

  it('runs every container, init containers included, non-root, read-only and without privileges', () => {
    const podContext = pod().securityContext ?? {};
    expect(podContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const container of allContainers()) {
      const effective = { ...podContext, ...container.securityContext };
      expect({ container: container.name, ...effective }).toMatchObject({
        container: container.name,
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(effective.runAsUser).not.toBe(0);
      expect(effective.privileged ?? false).toBe(false);
      expect(container.securityContext?.capabilities?.drop).toContain('ALL');
      expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
    }
  });

  it('sets requests and limits on every container, with a V8 heap that fits the memory limit', () => {
    for (const container of allContainers()) {
      const { requests = {}, limits = {} } = container.resources ?? {};
      for (const resource of ['cpu', 'memory']) {
        expect({ container: container.name, resource, request: requests[resource] }).toEqual({
          container: container.name,
          resource,
          request: expect.any(String),
        });
        expect({ container: container.name, resource, limit: limits[resource] }).toEqual({
          container: container.name,
          resource,
          limit: expect.any(String),
        });
        expect(quantity(limits[resource])).toBeGreaterThanOrEqual(quantity(requests[resource]));
      }
    }
    const heap = /--max-old-space-size=(\d+)/.exec(envOf(server()).get('NODE_OPTIONS')?.value ?? '');
    if (heap !== null) {
      expect(Number(heap[1]) * 2 ** 20).toBeLessThan(quantity(server().resources?.limits?.memory ?? '0'));
    }
  });

  it('uses images an overlay can set, pinned outside the base and dev', () => {
    for (const container of allContainers()) {
      expect(container.image).toEqual(expect.any(String));
      if (dir === 'k8s/overlays/production') {
        expect(container.image).toMatch(/(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/);
        expect(container.image).not.toMatch(/:latest$/);
        expect(container.image).toBe(server().image);
      }
    }
  });

  it('has no API token and no injected KV_SERVER_* service variables', () => {
    expect(pod().automountServiceAccountToken).toBe(false);
    expect(pod().enableServiceLinks).toBe(false);
    const account = only(objects(), 'ServiceAccount');
    expect(pod().serviceAccountName).toBe(account.metadata.name);
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it('mounts what it references: volumes, ConfigMaps, the data file, a writable /tmp', () => {
    const volumes = new Map((pod().volumes ?? []).map((volume) => [volume.name, volume]));
    const configMaps = new Map(find(objects(), 'ConfigMap').map((object) => [object.metadata.name, object]));
    for (const volume of volumes.values()) {
      if (volume.configMap !== undefined) expect(configMaps.has(volume.configMap.name)).toBe(true);
    }
    for (const container of allContainers()) {
      for (const mount of container.volumeMounts ?? []) expect(volumes.has(mount.name)).toBe(true);
      resolveEnv(container, objects()); // throws on a dangling configMapKeyRef
    }
    const mounts = server().volumeMounts ?? [];
    // A secret's file lies in a mounted Secret volume.
    for (const [name, path] of secretFileVariables(server())) {
      const mount = mounts.find((candidate) => path.startsWith(`${candidate.mountPath}/`));
      expect({ name, secret: volumes.get(mount?.name ?? '')?.secret?.secretName }).toEqual({
        name,
        secret: expect.any(String),
      });
    }
    const tmp = mounts.find((mount) => mount.mountPath === '/tmp');
    expect(tmp && volumes.get(tmp.name)?.emptyDir).toBeDefined();
    const downloadDir = envOf(server()).get('KV_DOWNLOAD_DIR')?.value;
    if (envOf(server()).has('KV_MANIFEST_URL')) {
      // Downloads land in a writable emptyDir with a size limit (two versions).
      const downloadMount = mounts.find((mount) => mount.mountPath === downloadDir);
      expect(downloadMount?.readOnly).not.toBe(true);
      expect(volumes.get(downloadMount?.name ?? '')?.emptyDir?.sizeLimit).toEqual(expect.any(String));
      return;
    }
    // The data file lies in a read-only, whole-directory mount (subPath never sees updates).
    const dataFile = envOf(server()).get('KV_DATA_FILE_PATH')?.value ?? '';
    expect(dataFile).toMatch(/^\//);
    const dataMount = mounts.find((mount) => mount.mountPath === posix.dirname(dataFile));
    expect(dataMount).toMatchObject({ readOnly: true });
    expect(dataMount?.subPath).toBeUndefined();
    const dataVolume = volumes.get(dataMount?.name ?? '');
    const data = configMaps.get(dataVolume?.configMap?.name ?? '')?.data as Record<string, string>;
    expect(Object.keys(data)).toContain(posix.basename(dataFile));
  });

  it('keeps every ConfigMap under the 1 MiB limit', () => {
    for (const configMap of find(objects(), 'ConfigMap')) {
      expect(Buffer.byteLength(JSON.stringify(configMap))).toBeLessThan(CONFIGMAP_LIMIT_BYTES);
    }
  });

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

  it('probes paths (and /metrics) that answer 200 on the app, on the port the app listens on', async () => {
    const container = server();
    const http = (container.ports ?? []).find((port) => port.name === 'http');
    const environment = resolveEnv(container, objects());
    expect(http?.containerPort).toBe(
      environment.PORT === undefined ? await documentedDefaultPort() : Number(environment.PORT),
    );
    expect(environment.HOST ?? '0.0.0.0').toBe('0.0.0.0');
    // The app's own configuration validation sees the manifest's environment (its data
    // source and Node's options aside: the test app loads a local file; the remote
    // source has its own test below), so a value the app would reject fails here.
    for (const name of ['KV_DATA_FILE_PATH', 'KV_MANIFEST_URL', 'KV_POLL_INTERVAL', 'KV_DOWNLOAD_DIR']) {
      delete environment[name];
    }
    delete environment.NODE_OPTIONS;
    // Mounted Secrets are stood in for by files of the same kind, so access control
    // (when the manifest turns it on) is on here too: probes and metrics must stay open.
    const secrets = await mkdtemp(join(tmpdir(), 'kv-k8s-secrets-'));
    for (const [name] of secretFileVariables(container)) {
      environment[name] = join(secrets, name);
      // An access file must parse: the client-roles component's own example stands in.
      const standIn =
        name === 'KV_ACCESS_FILE'
          ? await readFile(join(ROOT, 'k8s/components/access-control/client-roles/example-access.yaml'))
          : 'stand-in-secret\n';
      await writeFile(environment[name], standIn);
    }
    const testApp = await startTestApp(await readFile(join(ROOT, 'data', 'example.data')), {
      ...environment,
      LOG_LEVEL: 'silent',
    });
    try {
      const probePaths = [container.startupProbe, container.readinessProbe, container.livenessProbe].map(
        (probe) => probe?.httpGet?.path ?? '(none)',
      );
      for (const path of [...probePaths, '/metrics']) {
        const response = await testApp.app.inject({ method: 'GET', url: path });
        expect({ path, status: response.statusCode }).toEqual({ path, status: 200 });
      }
    } finally {
      await testApp.close();
      await rm(secrets, { recursive: true, force: true });
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

describe('k8s/overlays/production remote source', () => {
  const nginx = new Nginx();
  let downloads: string;

  beforeAll(async () => {
    await nginx.start();
    downloads = await mkdtemp(join(tmpdir(), 'kv-k8s-downloads-'));
  });
  afterAll(async () => {
    await nginx.stop();
    await rm(downloads, { recursive: true, force: true });
  });

  function production() {
    const objects = render('k8s/overlays/production');
    const deployment = only<Deployment>(objects, 'Deployment');
    const container = deployment.spec.template.spec.containers.find((candidate) => candidate.name === 'kv-server')!;
    return { pod: deployment.spec.template.spec, container, environment: resolveEnv(container, objects) };
  }

  it('follows a manifest named in a ConfigMap, polling it, with no init container', () => {
    const { pod, container, environment } = production();
    expect(pod.initContainers ?? []).toEqual([]);
    const manifest = container.env?.find((variable) => variable.name === 'KV_MANIFEST_URL');
    expect(manifest?.valueFrom?.configMapKeyRef).toBeDefined();
    expect(environment.KV_MANIFEST_URL).toMatch(/^https:\/\/.*\.json$/);
    expect(Number(environment.KV_POLL_INTERVAL)).toBeGreaterThan(0);
    expect(environment.KV_DATA_FILE_PATH).toBeUndefined();
  });

  it("starts the built server with production's environment on a dataset larger than a ConfigMap", async () => {
    const lines: string[] = [];
    for (let i = 0; lines.length < 40_000; i++) lines.push(`key-${i} value ${i} café  trailing `);
    const dataset = Buffer.from(lines.join('\n') + '\n');
    expect(dataset.length).toBeGreaterThan(CONFIGMAP_LIMIT_BYTES);
    await writeFile(join(nginx.root, 'big.data'), dataset);
    const sha256 = createHash('sha256').update(dataset).digest('hex');
    await writeFile(join(nginx.root, 'current.json'), JSON.stringify({ url: 'big.data', sha256 }));
    const { container, environment } = production();
    delete environment.NODE_OPTIONS;
    // Mounted Secrets stood in for by files, as in the probe test above.
    for (const [name] of secretFileVariables(container)) {
      environment[name] = join(downloads, `${name}.secret`);
      // An access file must parse: the client-roles component's own example stands in.
      const standIn =
        name === 'KV_ACCESS_FILE'
          ? await readFile(join(ROOT, 'k8s/components/access-control/client-roles/example-access.yaml'))
          : 'stand-in-secret\n';
      await writeFile(environment[name], standIn);
    }
    const server = await startServer({
      ...environment,
      PORT: '0',
      HOST: '127.0.0.1',
      KV_MANIFEST_URL: `${nginx.baseUrl}/current.json`,
      KV_DOWNLOAD_DIR: join(downloads, 'data'),
    });
    try {
      const response = await fetch(`${server.baseUrl}/keys/key-7`, {
        headers: { authorization: 'Bearer stand-in-secret' },
      });
      expect(await response.json()).toEqual({ 'key-7': 'value 7 café  trailing ' });
      expect(await readdir(join(downloads, 'data'))).toEqual([`kv-${sha256}.download`]);
    } finally {
      await server.stop();
    }
  });
});
