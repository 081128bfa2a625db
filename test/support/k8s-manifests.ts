import { composition, kustomizations, render } from './k8s.js';
import { allComponents } from './k8s-components.js';
import { only, type Deployment } from './k8s-objects.js';

/**
 * What the k8s-manifests*.e2e-spec.ts share: the directories they render, and the
 * parts of a rendered Deployment they read.
 */

export const NAME_LABEL = 'app.kubernetes.io/name';
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

/**
 * Every kustomization (the base and each overlay), and the base with each component.
 * Every combination of components: k8s-components.e2e-spec.ts.
 */
export function manifestDirs(): string[] {
  return [...kustomizations(), ...allComponents().map((component) => composition([component]))];
}

/** The objects `dir` renders to, and its Deployment's pod and containers, read when called. */
export function manifestsOf(dir: string) {
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
  return { objects, deployment, pod, podLabels, allContainers, server };
}
