import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ARCA_MAIN, startArca, type RunningArca } from '../helpers/arca.js';
import { arcaCli, type CliLogin } from '../helpers/arca-cli.js';
import { digestOf, receivedBytes, writeTree } from '../helpers/asset-files.js';
import type { ExecResult } from '../helpers/exec.js';
import { makeTempDir, type TempDir } from '../helpers/tmp.js';
import { PushState } from '../../src/cli/transfer/push-state.js';

const MiB = 1024 * 1024;
const password = 'assets-Admin-Pass-1';
type Json = Record<string, unknown>;

describe('arca model|dataset|environment|component commands', () => {
  let arca: RunningArca;
  let tmp: TempDir;
  let login: CliLogin;
  let env: Record<string, string>;
  const cli = (args: string[]): Promise<ExecResult> => arcaCli(login, args, { env });
  const json = (r: ExecResult): Json => {
    assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Json;
  };
  /** Run a command that must succeed. */
  const ok = async (args: string[], run = cli): Promise<ExecResult> => {
    const r = await run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const basic = () => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;

  before(async () => {
    tmp = makeTempDir('arca-assets-cli-');
    arca = await startArca({ auth: 'arca', env: { ARCA_ADMIN_PASSWORD: password } });
    login = { server: arca.url, username: 'admin', password, configHome: join(tmp.path, 'config') };
    env = { XDG_CACHE_HOME: join(tmp.path, 'cache') };
    for (const name of ['team', 'shared']) assert.equal((await cli(['registry', 'create', name])).code, 0);
  });
  after(async () => {
    await arca?.stop();
    await tmp?.cleanup();
  });

  test('push then pull gives byte-identical files; labels and Azure addresses resolve', async () => {
    const dir = join(tmp.path, 'tiny');
    const digests = writeTree(dir, {
      'model.safetensors': 40 * MiB + 11,
      'config.json': 512,
      'tokenizer/tokenizer.json': 3000,
      'README.md': 100,
    });
    writeFileSync(
      join(tmp.path, 'card.yaml'),
      'description: A tiny model\nmetadata:\n  license: apache-2.0\n  framework: pytorch\n',
    );
    const pushed = json(
      await cli([
        'model',
        'push',
        dir,
        '--registry',
        'team',
        '--name',
        'tiny-llm',
        '--version',
        '1',
        '--card',
        join(tmp.path, 'card.yaml'),
        '--tag',
        'task=text-generation',
        '--property',
        'origin=test',
        '--chunk-size',
        '8',
        '-o',
        'json',
      ]),
    );
    assert.equal(pushed.uri, 'arca://registries/team/models/tiny-llm/versions/1');
    assert.equal((pushed.files as unknown[]).length, 4);
    assert.equal((pushed.transfer as Json).alreadyThere, 0);

    const out = join(tmp.path, 'pulled');
    const pulled = json(
      await cli(['model', 'pull', String(pushed.uri), out, '--chunk-size', '8', '-o', 'json']),
    );
    assert.equal((pulled.transfer as Json).files, 4);
    for (const [path, digest] of Object.entries(digests))
      assert.equal(digestOf(join(out, path)), digest, path);
    assert.deepEqual(readdirSync(out).sort(), ['README.md', 'config.json', 'model.safetensors', 'tokenizer']);

    const shown = json(await cli(['model', 'show', 'tiny-llm', '1', '-r', 'team', '-o', 'json']));
    assert.deepEqual(shown.tags, { task: 'text-generation' });
    assert.equal((shown.card as Json).description, 'A tiny model');
    const listed = await ok(['model', 'list', '-r', 'team']);
    assert.match(listed.stdout, /^NAME\s+LATEST/);
    assert.match(listed.stdout, /tiny-llm\s+1/);

    await ok(['model', 'label', 'tiny-llm', 'production', '1', '-r', 'team']);
    const byLabel = join(tmp.path, 'by-label');
    const again = await ok(['model', 'pull', 'azureml:tiny-llm@production', byLabel, '-r', 'team']);
    assert.match(again.stdout, /verified/);
    assert.equal(digestOf(join(byLabel, 'model.safetensors')), digests['model.safetensors']);
    const azure = await ok([
      'model',
      'pull',
      'azureml://registries/team/models/tiny-llm/versions/1',
      byLabel,
    ]);
    assert.match(azure.stdout, /already there/, 'a second pull keeps verified files');
    await ok(['model', 'label', 'tiny-llm', 'production', '--remove', '-r', 'team']);
  });

  test('a custom role with only the Azure read permission can list and pull but not push', async () => {
    await ok([
      'role',
      'create',
      'AzureAssetReader',
      '-p',
      'Microsoft.MachineLearningServices/registries/assets/read',
    ]);
    const user = await arcaCli(login, ['user', 'create', 'reader', '--password-stdin'], {
      input: 'reader-Pass-12\n',
    });
    assert.equal(user.code, 0, user.stderr);
    await ok(['role', 'assign', 'AzureAssetReader', '--user', 'reader', '--scope', '/registries/team']);
    const reader = { ...login, username: 'reader', password: 'reader-Pass-12' };
    const asReader = (args: string[]) => arcaCli(reader, args, { env });
    const listed = await ok(['model', 'list', '-r', 'team'], asReader);
    assert.match(listed.stdout, /tiny-llm/);
    const out = join(tmp.path, 'reader-pull');
    await ok(['model', 'pull', 'arca://registries/team/models/tiny-llm/versions/1', out], asReader);
    assert.ok(existsSync(join(out, 'config.json')));
    const dir = join(tmp.path, 'reader-push');
    writeTree(dir, { 'x.bin': 1000 });
    const pushed = await asReader([
      'model',
      'push',
      dir,
      '-r',
      'team',
      '--name',
      'not-mine',
      '--version',
      '1',
    ]);
    assert.equal(pushed.code, 1);
    // Refused before any byte is stored, naming the permission that is missing.
    assert.match(pushed.stderr, /registries\/assets\/write is required on registry team \(HTTP 403\)/);
    assert.notEqual(
      (await cli(['model', 'show', 'not-mine', '1', '-r', 'team'])).code,
      0,
      'nothing published',
    );
  });

  test('re-publishing a version is refused clearly and changes nothing; a deleted number is not reused', async () => {
    const dir = join(tmp.path, 'republish');
    writeTree(dir, { 'a.bin': 2000 });
    const first = json(
      await cli(['dataset', 'push', dir, '-r', 'team', '--name', 'reviews', '--version', '1', '-o', 'json']),
    );
    writeTree(dir, { 'a.bin': 3000 });
    const before = await receivedBytes(arca.url);
    const second = await cli(['dataset', 'push', dir, '-r', 'team', '--name', 'reviews', '--version', '1']);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /version 1 already exists .*published versions never change/);
    assert.ok((await receivedBytes(arca.url)) - before < 64 * 1024, 'no file bytes sent');
    const shown = json(await cli(['dataset', 'show', 'reviews', '1', '-r', 'team', '-o', 'json']));
    assert.equal(shown.digest, first.digest);

    assert.equal((await cli(['dataset', 'delete', 'reviews', '1', '-r', 'team'])).code, 0);
    const gone = await cli(['dataset', 'show', 'reviews', '1', '-r', 'team']);
    assert.notEqual(gone.code, 0);
    const reused = await cli(['dataset', 'push', dir, '-r', 'team', '--name', 'reviews', '--version', '1']);
    assert.equal(reused.code, 1);
    assert.match(reused.stderr, /HTTP 409.*published versions never change/);
  });

  test('bad names, versions, cards and lineage are refused before any upload', async () => {
    const dir = join(tmp.path, 'bad');
    writeTree(dir, { 'x.bin': 4 * MiB });
    writeFileSync(join(tmp.path, 'bad-card.yaml'), 'description: [unclosed\n');
    const before = await receivedBytes(arca.url);
    const cases: [string[], RegExp][] = [
      [['--name', 'Bad_Name', '--version', '1'], /--name "Bad_Name"/],
      [['--name', '../x', '--version', '1'], /--name/],
      [['--name', 'ok', '--version', '../1'], /--version "..\/1"/],
      [['--name', 'ok', '--version', '-1'], /--version/],
      [['--name', 'ok', '--version', '1', '--card', join(tmp.path, 'bad-card.yaml')], /not valid YAML/],
      [['--name', 'ok', '--version', '1', '--tag', 'novalue'], /--tag "novalue": expected key=value/],
      [['--name', 'ok', '--version', '1', '--lineage', 'http://x'], /--lineage/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['model', 'push', dir, '-r', 'team', ...args]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, message);
    }
    const missing = await cli([
      'model',
      'push',
      dir,
      '-r',
      'team',
      '--name',
      'ok',
      '--version',
      '1',
      '--lineage',
      'arca://registries/team/datasets/nope/versions/9',
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope|lineage/i);
    const show = await cli(['model', 'show', 'ok', '1', '-r', 'team']);
    assert.notEqual(show.code, 0, 'nothing was published');
    assert.ok((await receivedBytes(arca.url)) - before < 4 * MiB, 'the refused pushes sent no file');
  });

  test('lineage links versions both ways', async () => {
    const data = join(tmp.path, 'lineage-data');
    writeTree(data, { 'train.csv': 100 });
    json(
      await cli([
        'dataset',
        'push',
        data,
        '-r',
        'team',
        '--name',
        'corpus',
        '--version',
        '2024-06',
        '-o',
        'json',
      ]),
    );
    const model = join(tmp.path, 'lineage-model');
    writeTree(model, { 'w.bin': 100 });
    json(
      await cli([
        'model',
        'push',
        model,
        '-r',
        'team',
        '--name',
        'tuned',
        '--version',
        '1',
        '--lineage',
        'arca://registries/team/datasets/corpus/versions/2024-06',
        '-o',
        'json',
      ]),
    );
    const up = json(await cli(['model', 'lineage', 'tuned', '1', '-r', 'team', '-o', 'json']));
    assert.deepEqual(
      (up.upstream as Json[]).map((r) => r.uri),
      ['arca://registries/team/datasets/corpus/versions/2024-06'],
    );
    const down = await ok(['dataset', 'lineage', 'corpus', '2024-06', '-r', 'team']);
    assert.match(down.stdout, /downstream\s+model\s+arca:\/\/registries\/team\/models\/tuned\/versions\/1/);
  });

  test('a pull refuses a hostile path from an artifact pushed by another tool', async () => {
    const repo = 'team/models/evil';
    const put = async (path: string, body: string, type?: string) => {
      const res = await fetch(`${arca.url}/v2/${repo}/${path}`, {
        method: 'PUT',
        headers: { Authorization: basic(), ...(type ? { 'Content-Type': type } : {}) },
        body,
      });
      assert.ok(res.status === 201, `${path}: ${res.status} ${await res.text()}`);
    };
    const layer = Buffer.from('pwned\n');
    const config = Buffer.from('{}');
    const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    for (const b of [layer, config]) {
      const res = await fetch(`${arca.url}/v2/${repo}/blobs/uploads/?digest=${sha(b)}`, {
        method: 'POST',
        headers: { Authorization: basic(), 'Content-Type': 'application/octet-stream' },
        body: b,
      });
      assert.equal(res.status, 201);
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/vnd.cncf.model.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.cncf.model.config.v1+json',
        digest: sha(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.cncf.model.weight.v1.raw',
          digest: sha(layer),
          size: layer.length,
          annotations: {
            'org.opencontainers.image.title': '../../evil',
            'org.cncf.model.filepath': '../../evil',
          },
        },
      ],
    });
    await put('manifests/1', manifest, 'application/vnd.oci.image.manifest.v1+json');
    const target = join(tmp.path, 'hostile', 'inner', 'out');
    const r = await cli(['model', 'pull', 'arca://registries/team/models/evil/versions/1', target]);
    assert.notEqual(r.code, 0, r.stdout);
    assert.match(r.stderr, /refus/);
    assert.ok(!existsSync(join(tmp.path, 'hostile', 'evil')));
    assert.ok(!existsSync(join(tmp.path, 'evil')));
    assert.ok(!existsSync(target) || readdirSync(target).length === 0, 'nothing written');
  });

  test('create --file takes the four Azure examples as they are', async () => {
    const dir = join(tmp.path, 'azure');
    writeTree(dir, {
      'model/weights.bin': 1000,
      'model/config.json': 10,
      'data/train/part-0.jsonl': 500,
      'data/test/part-0.jsonl': 200,
      'src/train.py': 300,
    });
    writeFileSync(join(dir, 'conda.yml'), 'name: infer\ndependencies:\n  - python=3.11\n');
    const files: Record<string, string> = {
      'model.yml':
        'name: tiny-llm\nversion: 1\ntype: custom_model\npath: ./model\ndescription: A small language model\ntags: {task: text-generation}\n',
      'data.yml':
        'name: reviews\nversion: "2024-06"\ntype: uri_folder\npath: ./data\ndescription: Product reviews, train and test splits\n',
      'environment.yml':
        'name: pytorch-infer\nversion: 3\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04\nconda_file: ./conda.yml\ndescription: Inference environment\n',
      'component.yml': [
        'name: train_model',
        'display_name: Train',
        'version: 1',
        'type: command',
        'inputs:',
        '  training_data: {type: uri_folder}',
        '  epochs: {type: integer, default: 3}',
        'outputs:',
        '  model_output: {type: mlflow_model}',
        'code: ./src',
        'environment: azureml://registries/shared/environments/pytorch-infer/versions/3',
        'command: python train.py --data ${{inputs.training_data}} --epochs ${{inputs.epochs}} --out ${{outputs.model_output}}',
        '',
      ].join('\n'),
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const created: Record<string, Json> = {};
    for (const [kind, file] of [
      ['model', 'model.yml'],
      ['dataset', 'data.yml'],
      ['environment', 'environment.yml'],
      ['component', 'component.yml'],
    ] as const) {
      created[kind] = json(
        await cli([kind, 'create', '--file', join(dir, file), '-r', 'shared', '-o', 'json']),
      );
    }
    const paths = (v: Json) => (v.files as { path: string }[]).map((f) => f.path).sort();
    assert.deepEqual(paths(created.model!), ['config.json', 'weights.bin']);
    assert.equal(created.model!.type, 'custom_model');
    assert.deepEqual(created.model!.tags, { task: 'text-generation' });
    assert.equal(created.dataset!.version, '2024-06');
    assert.equal(created.dataset!.type, 'uri_folder');
    assert.deepEqual(paths(created.dataset!), ['test/part-0.jsonl', 'train/part-0.jsonl']);
    assert.deepEqual(paths(created.environment!), ['conda.yml']);
    assert.equal(
      (created.environment!.spec as Json).image,
      'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04',
    );
    assert.deepEqual(paths(created.component!), ['train.py']);
    assert.equal((created.component!.spec as Json).display_name, 'Train');
    assert.match(String((created.component!.spec as Json).command), /\$\{\{inputs\.epochs\}\}/);
    const envPull = join(tmp.path, 'env-pull');
    assert.equal(
      (await cli(['environment', 'pull', 'azureml:pytorch-infer:3', envPull, '-r', 'shared'])).code,
      0,
    );
    assert.equal(
      readFileSync(join(envPull, 'conda.yml'), 'utf8'),
      readFileSync(join(dir, 'conda.yml'), 'utf8'),
    );
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'name: x\nversion: 1\npath: ./missing\n');
    const r = await cli(['model', 'create', '--file', bad, '-r', 'shared']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /path "\.\/missing": no such file or folder/);
  });

  test('a push stopped by Ctrl-C and then killed continues where it stopped; the version appears only at the end', async () => {
    const dir = join(tmp.path, 'big');
    const sizes: Record<string, number> = { 'small.bin': 3 * MiB, 'a.bin': 72 * MiB, 'b.bin': 72 * MiB };
    const digests = writeTree(dir, sizes);
    const total = Object.values(sizes).reduce((x, y) => x + y, 0);
    const chunk = 2 * MiB;
    const args = [
      'model',
      'push',
      dir,
      '-r',
      'team',
      '--name',
      'big',
      '--version',
      '1',
      '--chunk-size',
      '2',
      '--parallel',
      '2',
    ];
    const versionVisible = async () =>
      (
        await fetch(`${arca.url}/api/v1/registries/team/models/big/versions/1`, {
          headers: { Authorization: basic() },
        })
      ).status;

    /** Start the push; once the server has received `after` more bytes, send `signal`; resolve with the exit. */
    const interrupted = async (after: number, signal: NodeJS.Signals) => {
      const start = await receivedBytes(arca.url);
      const child = spawn(process.execPath, [ARCA_MAIN, ...args], {
        env: {
          ...process.env,
          ARCA_SERVER: arca.url,
          ARCA_USERNAME: 'admin',
          ARCA_PASSWORD: password,
          ARCA_API_KEY: '',
          XDG_CONFIG_HOME: login.configHome,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.stdout.resume();
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      while ((await receivedBytes(arca.url)) - start < after) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `push ended early: ${stderr}`);
        await sleep(20);
      }
      assert.equal(await versionVisible(), 404, 'not visible while files are missing');
      child.kill(signal);
      return { code: await exited, stderr: () => stderr };
    };

    const first = await interrupted(30 * MiB, 'SIGINT');
    assert.equal(first.code, 130, first.stderr());
    assert.match(first.stderr(), /interrupted: run the same command again to continue/);
    const second = await interrupted(20 * MiB, 'SIGKILL');
    assert.equal(second.code, null);
    assert.equal(await versionVisible(), 404);

    // What the server holds now: finished files, and the offsets of the sessions the state remembers.
    const previousCache = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = env.XDG_CACHE_HOME;
    const stateFile = PushState.open([arca.url, 'team/models/big', '1', dir]).file;
    if (previousCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = previousCache;
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      files: Record<string, { done?: boolean; upload?: string }>;
    };
    let held = 0;
    for (const [path, f] of Object.entries(state.files)) {
      if (f.done) held += sizes[path]!;
      else if (f.upload) {
        const res = await fetch(new URL(f.upload, arca.url), { headers: { Authorization: basic() } });
        const m = /^0-(\d+)$/.exec(res.headers.get('range') ?? '');
        if (m && Number(m[1]) > 0) held += Number(m[1]) + 1;
      }
    }
    assert.ok(held >= 30 * MiB, `the server kept what it received (${held})`);

    const before = await receivedBytes(arca.url);
    const last = json(await cli([...args, '-o', 'json']));
    const resent = (await receivedBytes(arca.url)) - before;
    assert.ok(
      resent <= total - held + 2 * chunk + MiB,
      `re-run sent ${resent}, missing were ${total - held}`,
    );
    assert.equal(await versionVisible(), 200);
    const files = Object.fromEntries(
      (last.files as { path: string; digest: string }[]).map((f) => [f.path, f.digest]),
    );
    assert.deepEqual(files, digests);
    assert.ok(!existsSync(stateFile), 'state removed once published');
  });
});
