/**
 * A pull-through cache beside its upstream, in one run: a 1 GiB image (4 layers of 256 MiB) on a
 * registry:2, pulled by skopeo straight from it, then through an Arca proxy registry twice: cold
 * (every byte fetched upstream while it is stored and streamed) and warm (from Arca's store).
 * `npm run build` first; run with `node --import tsx bench/proxy.ts [--layers N] [--layer-mib M]`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, expectStatus, pushBuffer, pushChunked, putManifest } from './client.js';
import { blobSpec, MiB, sha256 } from './content.js';
import { processTree, rssBytes } from './proctree.js';
import { fmt } from './report.js';
import { startServer, type BenchServer } from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const arcaMain = join(resolve(here, '..'), 'dist', 'cli', 'main.js');
const work = join(here, '.work', 'proxy');

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

/** `skopeo copy` of an image into a fresh `dir:` on the same disk; seconds (the event loop stays free for the meter). */
async function skopeoPull(host: string, repo: string, tag: string): Promise<number> {
  const target = join(work, 'pulled');
  rmSync(target, { recursive: true, force: true });
  const started = performance.now();
  const args = ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false'];
  args.push(`docker://${host}/${repo}:${tag}`, `dir:${target}`);
  const child = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  const code = await new Promise<number | null>((done) => {
    child.once('error', (err) => {
      stderr += err.message;
      done(-1);
    });
    child.once('exit', (c) => done(c));
  });
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  rmSync(target, { recursive: true, force: true });
  if (code !== 0) throw new Error(`skopeo copy ${host}/${repo}:${tag}: ${stderr}`);
  return seconds;
}

async function main(): Promise<void> {
  const layers = option('layers', 4);
  const layerSize = option('layer-mib', 256) * MiB;
  mkdirSync(work, { recursive: true });
  let upstream: BenchServer | undefined;
  let arca: BenchServer | undefined;
  try {
    upstream = await startServer('registry2', join(work, 'upstream'), { arcaMain });
    arca = await startServer('arca', join(work, 'arca'), { arcaMain });
    // The image: random layers (skopeo copies them verbatim), a config, an OCI manifest.
    const specs = Array.from({ length: layers }, (_, i) => blobSpec(layerSize, 1000 + i));
    for (const spec of specs) await pushChunked(upstream.url, 'bench/big', spec, 32 * MiB);
    const config = Buffer.from(
      JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    await pushBuffer(upstream.url, 'bench/big', config, sha256(config));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(config),
          size: config.length,
        },
        layers: specs.map((s) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: s.digest,
          size: s.size,
        })),
      }),
    );
    await putManifest(
      upstream.url,
      'bench/big',
      'v1',
      manifest,
      'application/vnd.oci.image.manifest.v1+json',
    );
    const created = await call(arca.url, 'POST', '/api/v1/registries', {
      headers: { 'Content-Type': 'application/json' },
      body: [Buffer.from(JSON.stringify({ name: 'hub', proxy: { url: upstream.url } }))],
    });
    expectStatus(created, 201, 'proxy registry create');

    let peak = 0;
    const arcaPid = arca.pid;
    const meter = setInterval(() => (peak = Math.max(peak, rssBytes(processTree(arcaPid)))), 100);
    const host = (s: BenchServer) => new URL(s.url).host;
    const direct = await skopeoPull(host(upstream), 'bench/big', 'v1');
    const cold = await skopeoPull(host(arca), 'hub/bench/big', 'v1');
    const warm = await skopeoPull(host(arca), 'hub/bench/big', 'v1');
    clearInterval(meter);
    const total = layers * layerSize + config.length;
    const row = (what: string, s: number) =>
      `| ${what} | ${fmt(s)} | ${fmt(total / MiB / s)} | ${fmt(s / direct)} |`;
    console.log(
      `\nPull of a ${fmt(total / 2 ** 30)} GiB image (${layers} layers) with skopeo, into dir: on the same disk\n`,
    );
    console.log('| pull | seconds | MiB/s | × direct |');
    console.log('|---|---|---|---|');
    console.log(row('direct from the upstream (registry:2)', direct));
    console.log(row('through the Arca proxy, cold', cold));
    console.log(row('through the Arca proxy, warm', warm));
    console.log(`\nArca peak RSS during the pulls: ${fmt(peak / 1e6)} MB`);
  } finally {
    await arca?.stop();
    await upstream?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
