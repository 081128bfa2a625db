import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertKubectl, render, ROOT } from './support/k8s.js';
import { CONFIGMAP_LIMIT_BYTES, manifestDirs, manifestsOf } from './support/k8s-manifests.js';
import {
  documentedDefaultPort,
  only,
  resolveEnv,
  secretFileVariables,
  type Deployment,
} from './support/k8s-objects.js';
import { Nginx } from './support/nginx.js';
import { startServer } from './support/server-process.js';
import { startTestApp } from './support/test-app.js';

/**
 * What the Kubernetes manifests point at really works with this application: the probe
 * paths and /metrics answer on the port the app listens on, with the manifest's
 * environment, and the production overlay's remote source (a manifest served by a real
 * nginx) starts the built server on a dataset larger than a ConfigMap. Rendering and
 * schemas: k8s-manifests.e2e-spec.ts.
 */

const DIRS = manifestDirs();

beforeAll(() => assertKubectl());

describe.each(DIRS)('%s', (dir) => {
  const { objects, server } = manifestsOf(dir);

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
