import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/arca.js';
import { exec } from '../helpers/exec.js';
import { withTempDir } from '../helpers/tmp.js';

const SETUP = join(REPO_ROOT, 'scripts', 'test-setup.sh');
const PACKAGES =
  'docker-registry skopeo umoci podman apache2-utils postgresql-client ceph-mon ceph-osd radosgw ceph-common chromium';

/** Put stand-ins for system commands first on PATH (`name` → shell body). */
function stubs(dir: string, commands: Record<string, string>): string {
  for (const [name, body] of Object.entries(commands)) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return `${dir}:${process.env.PATH ?? ''}`;
}

/** dpkg-query answering as if exactly `installed` were installed. */
function dpkgQuery(installed: string[]): string {
  return `for p in "$@"; do case " ${installed.join(' ')} " in *" $p "*) echo "$p installed";; esac; done`;
}

test('hardening 13: the test command sets itself up: pretest runs the set-up, .ci/run is exactly the README command', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts.pretest, 'bash scripts/test-setup.sh');
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  assert.match(readme, /^npm ci && npm test +#/m);
  const commands = readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#') && !/^set -[a-z]+( pipefail)?$/.test(l) && !/^cd /.test(l));
  assert.deepEqual(commands, ['npm ci && npm test']);
});

test('hardening 13: not root and packages missing: the set-up stops at once printing the one sudo command', async () => {
  await withTempDir(async (dir) => {
    const PATH = stubs(dir, { id: 'echo 1000', 'dpkg-query': dpkgQuery(['skopeo']), 'apt-get': 'exit 99' });
    const r = await exec('bash', [SETUP], { env: { PATH, ARCA_TEST_DIALECTS: undefined } });
    assert.equal(r.code, 1, r.stderr);
    const missing = PACKAGES.replace('skopeo ', '') + ' postgresql';
    assert.ok(
      r.stderr.includes(
        `sudo sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends ${missing}'`,
      ),
      r.stderr,
    );
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    console.log(`hardening 13: missing packages reported in ${r.ms} ms`);
  });
});

test('hardening 13: not root, packages present, PostgreSQL stopped: it prints the command that starts it', async () => {
  await withTempDir(async (dir) => {
    const all = [...PACKAGES.split(' '), 'postgresql'];
    const PATH = stubs(dir, {
      id: 'echo 1000',
      'dpkg-query': dpkgQuery(all),
      psql: 'exit 2',
      pg_isready: 'exit 2',
      pg_ctlcluster: 'exit 99',
    });
    const r = await exec('bash', [SETUP], {
      env: { PATH, ARCA_TEST_DIALECTS: undefined, ARCA_TEST_POSTGRES_URL: undefined },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /is not running; start it with: {2}sudo pg_ctlcluster --skip-systemctl-redirect \S+ main start/,
    );

    // SQLite only: nothing about PostgreSQL is needed (nor its server package).
    const sqlite = await exec('bash', [SETUP], { env: { PATH, ARCA_TEST_DIALECTS: 'sqlite' } });
    assert.equal(sqlite.code, 0, sqlite.stderr);
    // Another server named by the caller is not ours to start: say so and how to go on.
    const elsewhere = await exec('bash', [SETUP], {
      env: { PATH, ARCA_TEST_DIALECTS: undefined, ARCA_TEST_POSTGRES_URL: 'postgres://u@127.0.0.1:1/x' },
    });
    assert.equal(elsewhere.code, 1);
    assert.match(elsewhere.stderr, /cannot connect to PostgreSQL at postgres:\/\/u@127\.0\.0\.1:1\/x/);
    assert.match(elsewhere.stderr, /ARCA_TEST_DIALECTS=sqlite npm test/);
  });
});

test('hardening 13: on this machine (everything present) the set-up passes and is quick', async () => {
  const r = await exec('bash', [SETUP]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', 'nothing to install or start');
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  console.log(`hardening 13: set-up with everything present took ${r.ms} ms`);
});
