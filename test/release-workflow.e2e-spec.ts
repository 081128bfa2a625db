import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { assertKubectl, render, ROOT } from './support/k8s.js';
import { only, type Deployment } from './support/k8s-objects.js';

/**
 * The release workflow (.github/workflows/release.yml) cannot run here; actionlint
 * checks it in github-workflow.e2e-spec.ts. This checks what it is meant to do: on a
 * version tag only, tests first, a multi-arch image pushed with SBOM and provenance,
 * signed by digest, and release notes that pin the production overlay to that digest.
 * The notes script is run for real, and the overlay it describes is rendered.
 */

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  steps: Step[];
}
const workflowText = () => readFile(join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8');

const IMAGE = 'ghcr.io/acme/kv-server';
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const SIGNER = 'https://github.com/acme/kv-server/.github/workflows/release.yml@refs/tags/v1.2.3';

function releaseNotes(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'scripts', 'release-notes.mjs'), ...args],
      { encoding: 'utf8' },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr }),
    );
  });
}
const validArgs = { image: IMAGE, digest: DIGEST, tag: 'v1.2.3', signer: SIGNER };
const toArgs = (values: Record<string, string>) =>
  Object.entries(values).flatMap(([name, value]) => [`--${name}`, value]);

describe('.github/workflows/release.yml', () => {
  let workflow: { on: Record<string, unknown>; permissions: unknown; jobs: Record<string, Job> };
  beforeAll(async () => {
    workflow = parse(await workflowText());
  });
  const step = (job: string, uses: string) =>
    workflow.jobs[job].steps.find((candidate) => candidate.uses?.startsWith(uses));

  it('runs on version tags only, read-only unless a job needs more', () => {
    expect(workflow.on).toEqual({ push: { tags: ['v*.*.*'] } });
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(workflow.jobs.test.permissions).toBeUndefined();
    expect(workflow.jobs.image.permissions).toEqual({ contents: 'read', packages: 'write', 'id-token': 'write' });
    expect(workflow.jobs.release.permissions).toEqual({ contents: 'write' });
  });

  it('tests first (.ci/run), then the image, then the release', () => {
    expect(workflow.jobs.test.steps.some((candidate) => candidate.run?.trim() === 'bash .ci/run')).toBe(true);
    expect(workflow.jobs.image.needs).toBe('test');
    expect(workflow.jobs.release.needs).toBe('image');
  });

  it('builds for amd64 and arm64 and pushes with an SBOM and provenance', () => {
    expect(step('image', 'docker/setup-qemu-action')).toBeDefined();
    const build = step('image', 'docker/build-push-action');
    expect(build?.with).toMatchObject({ context: '.', push: true, sbom: true, provenance: 'mode=max' });
    expect(String(build?.with?.platforms).split(',').sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(step('image', 'docker/login-action')?.with?.registry).toBe('ghcr.io');
  });

  it('signs keyless by the digest it pushed, verifies that, and hands the digest on', () => {
    const image = workflow.jobs.image;
    const build = step('image', 'docker/build-push-action');
    const digest = `\${{ steps.${build?.id}.outputs.digest }}`;
    const steps = image.steps;
    const installer = steps.findIndex((candidate) => candidate.uses?.startsWith('sigstore/cosign-installer'));
    const sign = steps.findIndex((candidate) =>
      /cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"/.test(candidate.run ?? ''),
    );
    const verify = steps.findIndex((candidate) => /cosign verify "\$\{IMAGE\}@\$\{DIGEST\}"/.test(candidate.run ?? ''));
    expect(installer).toBeGreaterThan(steps.indexOf(build!));
    expect(sign).toBeGreaterThan(installer);
    expect(verify).toBeGreaterThan(sign);
    for (const index of [sign, verify]) expect(steps[index].env?.DIGEST).toBe(digest);
    expect(steps[verify].run).toContain('--certificate-identity "${GITHUB_SERVER_URL}/${GITHUB_WORKFLOW_REF}"');
    expect(steps[verify].run).toContain('--certificate-oidc-issuer https://token.actions.githubusercontent.com');
    expect(image.outputs?.digest).toBe(digest);
  });

  it('publishes release notes made by scripts/release-notes.mjs from that digest', () => {
    const steps = workflow.jobs.release.steps;
    const notes = steps.find((candidate) => candidate.run?.includes('scripts/release-notes.mjs'));
    expect(notes?.env?.DIGEST).toBe('${{ needs.image.outputs.digest }}');
    expect(notes?.run).toMatch(/--digest "\$DIGEST"/);
    expect(notes?.run).toContain('--signer "${GITHUB_SERVER_URL}/${GITHUB_WORKFLOW_REF}"');
    expect(notes?.run).toMatch(/> release-notes\.md$/);
    expect(steps.at(-1)?.run).toMatch(/^gh release create "\$GITHUB_REF_NAME" .*--notes-file release-notes\.md$/);
  });
});

describe('scripts/release-notes.mjs', () => {
  beforeAll(() => assertKubectl());

  it('pins the production overlay by digest: the overlay it describes renders every container with that image', async () => {
    const { code, stdout } = await releaseNotes(toArgs(validArgs));
    expect(code).toBe(0);
    const block = /```yaml\n([\s\S]*?)```/.exec(stdout)?.[1];
    const { images } = parse(block ?? '') as { images: unknown[] };
    expect(images).toEqual([{ name: 'kv-server', newName: IMAGE, digest: DIGEST }]);

    // k8s/overlays/production as the notes say to edit it, in a copy (paths rewritten).
    const production = join(ROOT, 'k8s', 'overlays', 'production');
    const kustomization = parse(await readFile(join(production, 'kustomization.yaml'), 'utf8')) as Record<
      string,
      unknown
    > & {
      resources: string[];
      components: string[];
      patches: { path?: string }[];
    };
    const dir = await mkdtemp(join(tmpdir(), 'kv-release-'));
    try {
      const from = (path: string) => relative(dir, join(production, path));
      for (const patch of kustomization.patches)
        if (patch.path) await copyFile(join(production, patch.path), join(dir, patch.path));
      const edited = {
        ...kustomization,
        resources: kustomization.resources.map(from),
        components: kustomization.components.map(from),
        images,
      };
      await writeFile(join(dir, 'kustomization.yaml'), stringify(edited));
      const objects = render(relative(ROOT, dir));
      const pod = only<Deployment>(objects, 'Deployment').spec.template.spec;
      const containers = [...(pod.initContainers ?? []), ...pod.containers];
      expect(containers.length).toBeGreaterThanOrEqual(1);
      for (const container of containers) expect(container.image).toBe(`${IMAGE}@${DIGEST}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives the commands to verify the signature by that digest, and to deploy', async () => {
    const { stdout } = await releaseNotes(toArgs(validArgs));
    expect(stdout).toContain(`cosign verify ${IMAGE}@${DIGEST}`);
    expect(stdout).toContain(`--certificate-identity ${SIGNER}`);
    expect(stdout).toContain('kubectl apply --server-side -k k8s/overlays/production');
    const namespace = only(render('k8s/overlays/production'), 'Deployment').metadata.namespace;
    expect(stdout).toContain(`kubectl -n ${namespace} rollout status deployment/kv-server`);
  });

  it.each([
    ['digest', 'sha256:abc'],
    ['digest', `${IMAGE}@${DIGEST}`],
    ['image', 'ghcr.io/Acme/kv-server'],
    ['image', `${IMAGE}:1.2.3`],
    ['tag', 'latest'],
    ['signer', 'someone'],
  ])('refuses a bad --%s (%s) in one line, writing no notes', async (name, value) => {
    const result = await releaseNotes(toArgs({ ...validArgs, [name]: value }));
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^release-notes: --${name} `));
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a missing option', async () => {
    const withoutDigest = Object.fromEntries(Object.entries(validArgs).filter(([name]) => name !== 'digest'));
    const result = await releaseNotes(toArgs(withoutDigest));
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toContain('--digest is required');
  });
});
