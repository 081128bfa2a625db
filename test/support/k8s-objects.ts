import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, type K8sObject } from './k8s.js';

/**
 * The shapes of the Kubernetes objects the manifest tests read, and what they ask of
 * them: selectors, environment, quantities.
 */

export interface Probe {
  httpGet?: { path?: string; port?: number | string; scheme?: string };
  periodSeconds?: number;
  failureThreshold?: number;
  timeoutSeconds?: number;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { configMapKeyRef?: { name: string; key: string; optional?: boolean } };
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  env?: EnvVar[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: {
    topologyKey: string;
    whenUnsatisfiable: string;
    labelSelector?: LabelSelector;
  }[];
  volumes?: {
    name: string;
    configMap?: { name: string };
    secret?: { secretName: string; optional?: boolean };
    emptyDir?: Record<string, unknown>;
    [source: string]: unknown;
  }[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
export interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: LabelSelector;
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string; maxSurge?: number | string } };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

export function only<T extends K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((object) => object.kind === kind);
  expect(found.map((object) => `${object.kind}/${object.metadata.name}`)).toHaveLength(1);
  return found[0] as T;
}
export const find = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
export const spec = (object: K8sObject) => object.spec as Record<string, unknown>;

/** A selector matches the pods when it is non-empty and all its labels are on them. */
export function expectSelects(selector: LabelSelector | undefined, podLabels: Record<string, string>) {
  expect(selector?.matchExpressions ?? []).toEqual([]);
  expect(Object.keys(selector?.matchLabels ?? {}).length).toBeGreaterThan(0);
  expect(podLabels).toMatchObject(selector?.matchLabels ?? {});
}

export function envOf(container: Container): Map<string, EnvVar> {
  return new Map((container.env ?? []).map((variable) => [variable.name, variable]));
}

/** Variables that name a file holding a secret (KV_API_KEYS_FILE, KV_ADMIN_TOKEN_FILE). */
export function secretFileVariables(container: Container): [name: string, path: string][] {
  return [...envOf(container).values()].flatMap((variable) =>
    variable.name.endsWith('_FILE') && variable.value !== undefined ? [[variable.name, variable.value]] : [],
  ) as [string, string][];
}

/** The container's environment as the kubelet would give it, ConfigMap references resolved. */
export function resolveEnv(container: Container, objects: K8sObject[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) result[variable.name] = variable.value;
    const ref = variable.valueFrom?.configMapKeyRef;
    if (ref === undefined) continue;
    const configMap = find(objects, 'ConfigMap').find((object) => object.metadata.name === ref.name);
    const data = configMap?.data as Record<string, string> | undefined;
    if (data?.[ref.key] !== undefined) result[variable.name] = data[ref.key];
    else if (ref.optional !== true)
      throw new Error(`${variable.name}: ConfigMap key ${ref.name}/${ref.key} is missing`);
  }
  return result;
}

/** Kubernetes quantities ("256Mi", "6Gi", "1", "250m") as bytes or cores. */
export function quantity(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(value);
  if (match === null) throw new Error(`not a quantity: ${value}`);
  const units: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : units[match[2]]);
}

/** The listen port's default, from the configuration table of the README (not from src). */
export async function documentedDefaultPort(): Promise<number> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const row = /^\|\s*`PORT`\s*\|\s*`(\d+)`\s*\|/m.exec(readme);
  if (row === null) throw new Error('README.md has no `PORT` row in its configuration table');
  return Number(row[1]);
}
