import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startArca, type RunningArca } from '../helpers/arca.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/dialects.js';
import { runImport, summaryOf } from '../helpers/import-registry2.js';
import { pushBlobInUpload, putManifest } from '../helpers/oci-push.js';
import { startRegistry2, type RunningRegistry2 } from '../helpers/registry2.js';
import { makeTempDir } from '../helpers/tmp.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

for (const dialect of dialects()) {
  describe(`arca import registry2 indexes assets (${dialect})`, () => {
    let r2: RunningRegistry2 | undefined;
    let arca: RunningArca | undefined;
    let db: TestDatabase | undefined;
    const data = makeTempDir('arca-assets-import-');
    after(async () => {
      await r2?.stop();
      await arca?.stop({ keep: true });
      await db?.drop();
      await data.cleanup();
    });

    test('a ModelPack artifact in a registry:2 tree is a model version once imported', async () => {
      r2 = await startRegistry2();
      const repo = 'default/models/imported';
      const weights = randomBytes(30_000);
      const config = Buffer.from(
        JSON.stringify({
          descriptor: { description: 'from registry:2' },
          config: {},
          modelfs: { type: 'layers', diffIds: [] },
        }),
      );
      for (const b of [weights, config]) await pushBlobInUpload(r2.url, repo, b);
      const manifest = Buffer.from(
        JSON.stringify({
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
              digest: sha(weights),
              size: weights.length,
              annotations: { 'org.opencontainers.image.title': 'model.safetensors' },
            },
          ],
        }),
      );
      assert.equal((await putManifest(r2.url, repo, 'v1', manifest)).status, 201);

      db = dialect === 'postgres' ? await createTestDatabase() : undefined;
      const databaseUrl = db?.url ?? `sqlite:${join(data.path, 'arca.db')}`;
      arca = await startArca({ dialect, dataDir: data.path, databaseUrl });
      await arca.stop({ keep: true });
      const imported = await runImport([
        '--config',
        r2.configPath,
        '--arca-config',
        arca.configPath,
        '-o',
        'json',
      ]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.deepEqual(summaryOf(imported).errors, []);

      arca = await startArca({ dialect, dataDir: data.path, databaseUrl });
      const res = await fetch(`${arca.url}/api/v1/registries/default/models/imported/versions/v1`);
      assert.equal(res.status, 200, await res.clone().text());
      const v1 = (await res.json()) as {
        format: string;
        description: string;
        files: { path: string; digest: string }[];
      };
      assert.equal(v1.format, 'modelpack');
      assert.equal(v1.description, 'from registry:2');
      assert.deepEqual(
        v1.files.map((f) => [f.path, f.digest]),
        [['model.safetensors', sha(weights)]],
      );
      const file = await fetch(
        `${arca.url}/api/v1/registries/default/models/imported/versions/v1/files/model.safetensors`,
      );
      assert.ok(Buffer.from(await file.arrayBuffer()).equals(weights));
    });
  });
}
