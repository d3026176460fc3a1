import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ARCA_MAIN, REPO_ROOT, startArca } from '../helpers/arca.js';
import { dialects } from '../helpers/dialects.js';
import { runArca } from '../helpers/arca-cli.js';
import { exec } from '../helpers/exec.js';
import { serverEnv } from '../helpers/server.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';

const adminPassword = 'newcomer-admin-Pass-1';

/** Run the built CLI with the test's environment (no ARCA_* or REGISTRY_* inherited). */
const arca = (args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) =>
  runArca(args, { ...opts, timeoutMs: 60_000 });

const blocks = /```sh\n([\s\S]*?)```/g;

/** The lines of the README's ```sh blocks. */
function readmeShellLines(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(blocks)].flatMap((m) => m[1]!.split('\n').filter((line) => line.trim() !== ''));
}

/** The `npx arca …` commands written inline in the README's text. */
function readmeInlineCommands(): string[] {
  const text = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').replace(blocks, '');
  return [...text.matchAll(/`(npx arca [^`]+)`/g)].map((m) => m[1]!);
}

describe('hardening: a newcomer never stumbles', () => {
  let work: TempDir;
  before(() => {
    work = makeTempDir('arca-newcomer-');
  });
  after(async () => {
    await work?.cleanup();
  });

  test('hardening 14: npm ci builds dist/ (prepare) and npx finds the package’s own arca', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    assert.match(pkg.scripts.prepare ?? '', /npm run build/, 'npm ci runs prepare, which must build');
    assert.equal(pkg.bin.arca, 'dist/cli/main.js');
    // --no: never fetch a package of that name from a registry; offline: no network at all;
    // ignore-scripts: the first npx in a checkout links the package and would run its `prepare`
    // (a whole build, rewriting dist/ under the servers other test files are running).
    const r = await exec('npx', ['--no', 'arca', 'config', 'schema'], {
      cwd: REPO_ROOT,
      env: {
        npm_config_offline: 'true',
        npm_config_ignore_scripts: 'true',
        ARCA_CONFIG: undefined,
        REGISTRY_CONFIGURATION_PATH: undefined,
      },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /"\$schema"/);
  });

  test('hardening 14: every `npx arca` example of the README runs as written against a server', async () => {
    const server = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: adminPassword } });
    const dir = join(work.path, 'readme');
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    try {
      // `npx arca` outside the repository: a stand-in that runs the same built bin (the real npx
      // lookup is the test above); everything else on each line runs in bash exactly as written.
      const npx = join(bin, 'npx');
      writeFileSync(
        npx,
        `#!/bin/sh\n[ "$1" = arca ] || exit 127\nshift\nexec "${process.execPath}" "${ARCA_MAIN}" "$@"\n`,
      );
      chmodSync(npx, 0o755);
      // The files the examples name.
      writeFileSync(join(dir, 'password.txt'), 'alice-Pass-2026\n');
      writeFileSync(join(dir, 'config.yml'), stringify({ version: 0.1, http: { addr: ':5000' } }));
      writeFileSync(join(dir, 'registry.yml'), 'type: registry\nname: FromFileReg\ndescription: models\n');
      // The model folder and card the asset examples push (the README makes them with mkdir and printf).
      mkdirSync(join(dir, 'tiny-llm', 'tokenizer'), { recursive: true });
      writeFileSync(join(dir, 'tiny-llm', 'config.json'), '{"hidden": 64}\n');
      writeFileSync(join(dir, 'tiny-llm', 'tokenizer', 'tokenizer.json'), '{}\n');
      writeFileSync(join(dir, 'card.yaml'), 'description: A tiny model\nmetadata:\n  license: apache-2.0\n');
      const lines = readmeShellLines().filter((l) => l.startsWith('npx arca'));
      // Long-running (serve) or needing a registry:2 tree (import, tested in import-registry2.test.ts).
      const skipped = lines.filter((l) => /^npx arca (serve|import) /.test(l));
      const run = lines.filter((l) => !skipped.includes(l));
      assert.ok(
        run.some((l) => l.includes('role assign Contributor --user alice --scope /registries/team')),
        'the README assigns a role at a registry scope',
      );
      assert.ok(run.length >= 9, `README examples found: ${run.length}`);
      // Inline ones too, but those with a placeholder to fill in (`<token>`, `…`).
      const inline = readmeInlineCommands();
      const placeholders = inline.filter((c) => /[<…]/.test(c));
      const runInline = inline.filter((c) => !placeholders.includes(c));
      assert.ok(runInline.includes('npx arca admin reset-password admin'), inline.join('\n'));
      const sh = (line: string) =>
        exec('bash', ['-euo', 'pipefail', '-c', line], {
          cwd: dir,
          cleanEnv: true,
          env: serverEnv({
            PATH: `${bin}:${process.env.PATH ?? ''}`,
            ARCA_SERVER: server.url,
            XDG_CONFIG_HOME: join(dir, 'home'),
            XDG_CACHE_HOME: join(dir, 'cache'),
            // What `login` would ask for on a terminal.
            ARCA_PASSWORD: adminPassword,
            // What `admin reset-password` runs with on the server's machine.
            ARCA_CONFIG: server.configPath,
          }),
          timeoutMs: 60_000,
        });
      // The reset ends the login the other examples use: it goes last.
      const reset = runInline.filter((c) => c.includes('reset-password'));
      for (const line of [...run, ...runInline.filter((c) => !reset.includes(c))]) {
        const r = await sh(line);
        assert.equal(r.code, 0, `README: ${line}\n${r.stderr}${r.stdout}`);
      }
      const registries = await sh('npx arca registry list --output json');
      const names = (JSON.parse(registries.stdout) as { name: string }[]).map((r) => r.name);
      for (const name of ['team', 'HelloWorldReg', 'FromFileReg'])
        assert.ok(names.includes(name), names.join());
      for (const line of reset) {
        const r = await sh(line);
        assert.equal(r.code, 0, `README: ${line}\n${r.stderr}${r.stdout}`);
        const password = /reset to: (\S+)/.exec(r.stdout)?.[1] ?? '';
        const again = await sh(`printf '%s\\n' '${password}' | npx arca login -u admin --password-stdin`);
        assert.equal(again.code, 0, again.stderr);
      }
      console.log(
        `hardening 14: ran ${run.length} README lines and ${runInline.length} inline commands; not run: ${[...skipped, ...placeholders].join(' | ')}`,
      );
    } finally {
      await server.stop();
    }
  });

  for (const dialect of dialects()) {
    test(`hardening 15: arca admin reset-password resets a lost password offline, enables the account, ends its refresh tokens (${dialect})`, async () => {
      const server = await startArca({
        auth: 'arca',
        dialect,
        env: { ARCA_ADMIN_PASSWORD: adminPassword },
        startTimeoutMs: 60_000,
      });
      const home = join(work.path, `home-15-${dialect}`);
      const cli = (args: string[], input = '') =>
        arca(args, { env: { ARCA_SERVER: server.url, XDG_CONFIG_HOME: home }, input });
      try {
        const login = await cli(['login', '-u', 'admin', '--password-stdin'], `${adminPassword}\n`);
        assert.equal(login.code, 0, login.stderr);
        assert.equal((await cli(['user', 'create', 'dana', '--password-stdin'], 'dana-Pass-2026\n')).code, 0);
        assert.equal((await cli(['user', 'disable', 'dana'])).code, 0);

        // A generated password, printed once.
        const reset = await arca(['admin', 'reset-password', '--config', server.configPath]);
        assert.equal(reset.code, 0, reset.stderr);
        const generated = /reset to: (\S+)/.exec(reset.stdout)?.[1];
        assert.ok(generated && generated.length >= 16, reset.stdout);
        // The refresh token kept by the login above ended with the old password.
        const stale = await cli(['whoami']);
        assert.notEqual(stale.code, 0, 'the old refresh token still works');
        const old = await cli(['login', '-u', 'admin', '--password-stdin'], `${adminPassword}\n`);
        assert.notEqual(old.code, 0, 'the old password still works');
        const fresh = await cli(['login', '-u', 'admin', '--password-stdin'], `${generated}\n`);
        assert.equal(fresh.code, 0, fresh.stderr);

        // A disabled user, from stdin and through ARCA_CONFIG: enabled again with the given password.
        const dana = await arca(['admin', 'reset-password', 'dana', '--password-stdin'], {
          env: { ARCA_CONFIG: server.configPath },
          input: 'dana-New-Pass-2026\n',
        });
        assert.equal(dana.code, 0, dana.stderr);
        assert.ok(!dana.stdout.includes('dana-New-Pass-2026'), 'a given password is not echoed');
        const danaHome = join(work.path, `home-15-dana-${dialect}`);
        const danaLogin = await arca(['login', '-u', 'dana', '--password-stdin'], {
          env: { ARCA_SERVER: server.url, XDG_CONFIG_HOME: danaHome },
          input: 'dana-New-Pass-2026\n',
        });
        assert.equal(danaLogin.code, 0, danaLogin.stderr);

        const nobody = await arca(['admin', 'reset-password', 'nobody', '--config', server.configPath]);
        assert.equal(nobody.code, 1);
        assert.match(nobody.stderr, /no user named 'nobody'/);
        const weak = await arca(
          ['admin', 'reset-password', '--password-stdin', '--config', server.configPath],
          {
            input: 'x\n',
          },
        );
        assert.equal(weak.code, 1);
        assert.match(weak.stderr, /password/);

        // ARCA_ADMIN_PASSWORD on a database that has its administrator: ignored, and the log says so.
        await server.restart();
        assert.match(
          server.logs(),
          /ARCA_ADMIN_PASSWORD is ignored: this database already had its first administrator/,
        );
      } finally {
        await server.stop();
      }
    });
  }

  test('hardening 15: reset-password never creates a database: without the server’s, it says what to pass', async () => {
    const dir = join(work.path, 'no-db');
    mkdirSync(dir);
    const r = await arca(['admin', 'reset-password'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /no database at .*arca\.db: pass the configuration the server runs with \(--config or ARCA_CONFIG\)/,
    );
    assert.ok(!existsSync(join(dir, 'data')), 'a ./data was created');
  });

  test('hardening 16: a path that is not what its key needs is named by config validate and serve (htpasswd path a directory)', async () => {
    const dir = join(work.path, 'paths');
    mkdirSync(dir);
    const file = join(dir, 'config.yml');
    writeFileSync(
      file,
      stringify({
        version: 0.1,
        http: { addr: '127.0.0.1:0' },
        datadir: join(dir, 'data'),
        auth: { htpasswd: { realm: 'basic-realm', path: dir } },
      }),
    );
    const validate = await arca(['config', 'validate', file]);
    assert.equal(validate.code, 1, validate.stdout);
    assert.match(
      validate.stderr,
      new RegExp(`^config: auth\\.htpasswd\\.path: ${dir} is a directory, not a file`, 'm'),
    );
    const serve = await arca(['serve', '--config', file]);
    assert.equal(serve.code, 1);
    assert.match(serve.stderr, /auth\.htpasswd\.path: .* is a directory, not a file/);
    assert.ok(!serve.stderr.includes('EISDIR'), serve.stderr);

    // The variable that set it is named; TLS files must exist; a storage root must be a directory.
    const env = {
      REGISTRY_AUTH_HTPASSWD_PATH: join(dir, 'htpasswd'),
      REGISTRY_HTTP_TLS_CERTIFICATE: join(dir, 'missing.crt'),
      REGISTRY_HTTP_TLS_KEY: join(dir, 'missing.key'),
      REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: file,
    };
    const many = await arca(['config', 'validate', file], { env });
    assert.equal(many.code, 1);
    assert.match(
      many.stderr,
      /REGISTRY_HTTP_TLS_CERTIFICATE \(http\.tls\.certificate\): .*missing\.crt does not exist/,
    );
    assert.match(many.stderr, /http\.tls\.key\): .*missing\.key does not exist/);
    assert.match(many.stderr, /storage\.filesystem\.rootdirectory\): .*config\.yml is not a directory/);
    assert.doesNotMatch(many.stderr, /auth\.htpasswd\.path/, 'a missing htpasswd file is created at start');

    // Debian's stock registry:2 config (docker-registry package), where installed.
    const debian = '/etc/docker/registry/config.yml';
    if (existsSync(debian)) {
      const stock = await arca(['config', 'validate', debian]);
      console.log(`hardening 16: ${debian}: ${stock.stderr.trim()}`);
      if (/path: \/etc\/docker\/registry\b/.test(readFileSync(debian, 'utf8'))) {
        assert.equal(stock.code, 1);
        assert.match(stock.stderr, /auth\.htpasswd\.path: \/etc\/docker\/registry is a directory/);
      }
    }
    // A broken location only makes its registries show Error: a warning, not a refusal.
    const withLocation = join(dir, 'location.yml');
    writeFileSync(
      withLocation,
      stringify({
        version: 0.1,
        datadir: join(dir, 'data'),
        locations: { broken: { storage: { filesystem: { rootdirectory: join(file, 'blobs') } } } },
      }),
    );
    const warned = await arca(['config', 'validate', withLocation]);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(
      warned.stderr,
      /warning: config: locations\.broken\.storage\.filesystem\.rootdirectory: .* cannot be created: .*config\.yml is not a directory/,
    );
    const good = await arca(['config', 'validate', file], {
      env: { REGISTRY_AUTH_HTPASSWD_PATH: join(dir, 'htpasswd') },
    });
    assert.equal(good.code, 0, good.stderr);
  });

  test('hardening 18: import registry2 without --arca-config or ARCA_CONFIG stops, says what to pass, creates no ./data', async () => {
    const dir = join(work.path, 'import');
    const root = join(dir, 'registry2');
    mkdirSync(join(root, 'docker', 'registry', 'v2', 'repositories'), { recursive: true });
    mkdirSync(join(root, 'docker', 'registry', 'v2', 'blobs'), { recursive: true });
    const r = await arca(['import', 'registry2', '--root', root], { cwd: dir });
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /--arca-config <file> .* or ARCA_CONFIG; nothing was imported/);
    assert.ok(!existsSync(join(dir, 'data')), 'the import made a new store in ./data');

    // Named explicitly, a dry run still writes nothing there (not even a credentials key).
    const config = join(dir, 'arca.yml');
    writeFileSync(config, stringify({ version: 0.1, datadir: join(dir, 'arca-data') }));
    const dry = await arca(['import', 'registry2', '--root', root, '--arca-config', config, '--dry-run'], {
      cwd: dir,
    });
    assert.equal(dry.code, 1, dry.stdout);
    assert.match(dry.stderr, /not a registry:2 storage tree/);
    assert.ok(!existsSync(join(dir, 'arca-data')), 'a dry run created the data directory');
  });
});
