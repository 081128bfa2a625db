import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The GitHub Actions workflow cannot run here, so this keeps it honest: valid YAML of
 * the expected shape, thin (it runs .ci/run and builds the Dockerfile), and every
 * file it names exists.
 */
const ROOT = join(__dirname, '..');
const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'ci.yml'), 'utf8'));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

describe('.github/workflows/ci.yml', () => {
  const jobs: Record<string, { 'runs-on': string; steps: Step[]; strategy?: { matrix?: { node?: number[] } } }> =
    workflow.jobs;

  it('is triggered by pushes to main and pull requests, with read-only permissions', () => {
    expect(workflow.on.push.branches).toContain('main');
    expect(workflow.on).toHaveProperty('pull_request');
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it("runs .ci/run, tests included, on Node 22 and 24: the lowest line package.json declares and the image's", () => {
    const steps = jobs.test.steps;
    const ciRun = steps.find((step) => step.run?.trim() === 'bash .ci/run');
    expect(existsSync(join(ROOT, '.ci', 'run'))).toBe(true);
    expect(jobs.test.strategy?.matrix?.node).toEqual([22, 24]);
    // setup-node installs the matrix's Node, and .ci/run runs the tests on it, not on 24 only.
    expect(steps.find((step) => step.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(
      '${{ matrix.node }}',
    );
    expect(ciRun?.env?.KV_TEST_NODE).toBe('${{ matrix.node }}');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain('KV_TEST_NODE');

    const engines = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node;
    expect(engines).toBe('>=22.12');
    const image = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1];
    expect(image).toBe('24');
  });

  it('builds the Dockerfile and smoke-tests the image on the endpoints the app serves', () => {
    const steps = jobs.image.steps;
    const build = steps.find((step) => step.uses?.startsWith('docker/build-push-action'));
    expect(build?.with?.context).toBe('.');
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    const smoke = steps.map((step) => step.run ?? '').join('\n');
    expect(smoke).toContain('/health/ready');
    expect(smoke).toMatch(/\/keys\/[0-9a-f-]{36}/);
    const key = /\/keys\/([0-9a-f-]{36})/.exec(smoke)![1];
    expect(readFileSync(join(ROOT, 'data', 'example.data'), 'utf8')).toContain(`${key} `);
  });

  it('pins every action to a major version', () => {
    for (const job of Object.values(jobs)) {
      for (const step of job.steps) if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
    }
  });
});
