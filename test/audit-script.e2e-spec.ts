import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/audit-production.mjs, CI's `npm audit --omit=dev --audit-level=high`, run
 * against a stand-in `npm` that prints a prepared report (no registry involved).
 */
const ROOT = join(__dirname, '..');

const report = (vulnerabilities: Record<string, { severity: string }>) => ({
  vulnerabilities: Object.fromEntries(
    Object.entries(vulnerabilities).map(([name, { severity }]) => [
      name,
      { name, severity, range: '<9.9.9', via: [{ title: `${name} advisory`, url: `https://example.com/${name}` }] },
    ]),
  ),
  metadata: {
    vulnerabilities: {
      info: 0,
      low: 0,
      moderate: Object.values(vulnerabilities).filter((entry) => entry.severity === 'moderate').length,
      high: Object.values(vulnerabilities).filter((entry) => entry.severity === 'high').length,
      critical: Object.values(vulnerabilities).filter((entry) => entry.severity === 'critical').length,
      total: Object.keys(vulnerabilities).length,
    },
  },
});
const refusal = (statusCode: number) => ({
  message: `${statusCode} - POST https://registry/-/npm/v1/security/advisories/bulk`,
  statusCode,
});

describe('scripts/audit-production.mjs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kv-audit-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function audit(output: unknown, env: Record<string, string> = {}) {
    await writeFile(join(dir, 'report.json'), JSON.stringify(output));
    await writeFile(join(dir, 'npm'), `#!/bin/sh\ncat "${join(dir, 'report.json')}"\nexit 1\n`);
    await chmod(join(dir, 'npm'), 0o755);
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'audit-production.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { PATH: `${dir}:${process.env.PATH}`, ...env },
    });
    return { status: run.status, output: run.stdout + run.stderr };
  }

  it.each(['high', 'critical'])('fails on a %s advisory and names it', async (severity) => {
    const result = await audit(report({ 'bad-package': { severity }, 'meh-package': { severity: 'moderate' } }));
    expect(result.status).toBe(1);
    expect(result.output).toContain(`${severity}: bad-package <9.9.9: bad-package advisory`);
    expect(result.output).not.toContain('meh-package advisory');
  });

  it('passes with moderate or no advisories', async () => {
    expect((await audit(report({ 'meh-package': { severity: 'moderate' } }))).status).toBe(0);
    expect((await audit(report({}))).status).toBe(0);
  });

  it('warns and passes when the registry offers no audit, unless an audit is required', async () => {
    const skipped = await audit(refusal(405));
    expect(skipped.status).toBe(0);
    expect(skipped.output).toContain('NOT audited');
    expect((await audit(refusal(405), { KV_AUDIT_REQUIRED: 'true' })).status).toBe(1);
  });

  it('fails when the audit fails otherwise', async () => {
    expect((await audit(refusal(503))).status).toBe(1);
    expect((await audit('not a report')).status).toBe(1);
  });
});
