import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * A program the tests run for real (nginx, HAProxy, promtool), found on PATH or in
 * /usr/sbin and /usr/bin. Missing, it throws how to install it: a test that needs one
 * fails rather than skipping silently.
 */
export function debianBinary(name: string, debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin'].filter((dir) => isAbsolute(dir));
  const found = dirs.map((dir) => join(dir, name)).find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      `${name} is missing: install Debian's ${debianPackage} package (\`apt-get install -y ${debianPackage}\`; .ci/run does when it is missing)`,
    );
  }
  return found;
}
