import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { K8S_DIR } from './k8s.js';

/**
 * The kustomize components under k8s/components, found on disk as an operator would
 * list them. A directory with a kustomization.yaml is a component; a directory of
 * such directories (access-control/, ingress/) is a group of alternatives, of which an
 * overlay lists at most one (API keys or client roles; Gateway API or Ingress).
 */
export interface ComponentGroup {
  name: string;
  /** Directories relative to the repository root, e.g. `k8s/components/ingress/gateway-api`. */
  members: string[];
}

const COMPONENTS_DIR = join(K8S_DIR, 'components');
const isComponent = (dir: string) => existsSync(join(dir, 'kustomization.yaml'));
const subdirectories = (dir: string) =>
  readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort();

export function componentGroups(): ComponentGroup[] {
  return subdirectories(COMPONENTS_DIR).map((name) => {
    const dir = join(COMPONENTS_DIR, name);
    if (isComponent(dir)) return { name, members: [`k8s/components/${name}`] };
    const members = subdirectories(dir)
      .filter((member) => isComponent(join(dir, member)))
      .map((member) => `k8s/components/${name}/${member}`);
    if (members.length === 0) throw new Error(`k8s/components/${name} holds no component`);
    return { name, members };
  });
}

export const allComponents = () => componentGroups().flatMap((group) => group.members);

/** Every list of components an overlay may combine: from each group none or one member. */
export function componentCombinations(): string[][] {
  let combinations: string[][] = [[]];
  for (const group of componentGroups()) {
    combinations = combinations.flatMap((chosen) => [chosen, ...group.members.map((member) => [...chosen, member])]);
  }
  return combinations;
}
