import { posix } from 'node:path';
import { assertKubectl } from './support/k8s.js';
import { manifestDirs, manifestsOf } from './support/k8s-manifests.js';
import {
  envOf,
  expectSelects,
  find,
  only,
  quantity,
  resolveEnv,
  secretFileVariables,
  type Probe,
} from './support/k8s-objects.js';

/**
 * The Deployment of every kustomization, and of the base with each component: its
 * rollout and spread, probes, shutdown timing, hardening, resources, images, service
 * account and mounts. Rendering and schemas: k8s-manifests.e2e-spec.ts.
 */

/** Time a drain needs after KV_SHUTDOWN_DELAY_MS before the kubelet's SIGKILL. */
const DRAIN_MARGIN_MS = 10_000;

const DIRS = manifestDirs();

beforeAll(() => assertKubectl());

describe.each(DIRS)('%s', (dir) => {
  const { objects, deployment, pod, podLabels, allContainers, server } = manifestsOf(dir);

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
});
