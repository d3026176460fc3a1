import { createCipheriv, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  lstat,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execOk } from './exec.js';

/**
 * Test images built with umoci into OCI image layouts, and image indexes written by hand.
 * Content is generated from a seed (AES-CTR keystream, so it does not compress), mtimes
 * and history timestamps are fixed: the same seed gives the same layers and digests.
 */

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const REF_NAME = 'org.opencontainers.image.ref.name';
const FIXED_TIME = '2024-01-01T00:00:00Z';
const FIXED_DATE = new Date(FIXED_TIME);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface BuildImageOptions {
  layers: number;
  seed: string;
  /** Config architecture (umoci config --architecture). Default amd64. */
  architecture?: string;
  /** Config OS. Default linux. */
  os?: string;
  /** Size in bytes of the binary file of layer i (cycled). Default 16 KiB, 256 KiB, 1 MiB, 64 KiB. */
  sizes?: number[];
  /** Where to keep the expected root filesystem. Default `<layoutDir>-src/<tag>`. */
  sourceDir?: string;
}

export interface BuiltImage {
  layout: string;
  tag: string;
  /** `oci:<layout>:<tag>` for skopeo. */
  ref: string;
  /** Manifest digest recorded in the layout's index.json. */
  digest: string;
  /** A directory tree equal to the image's root filesystem (compare with `compareTrees`). */
  rootfs: string;
}

export function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** `size` bytes of keystream derived from `seed` (deterministic, incompressible). */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

async function setTimesDeep(path: string): Promise<void> {
  const st = await lstat(path);
  if (st.isDirectory()) for (const e of await readdir(path)) await setTimesDeep(join(path, e));
  if (!st.isSymbolicLink()) await utimes(path, FIXED_DATE, FIXED_DATE);
}

async function writeLayerTree(dir: string, seed: string, index: number, size: number): Promise<void> {
  await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
  const text = Array.from(
    { length: 40 + index * 10 },
    (_, n) => `layer ${index} line ${n} seed ${seed}\n`,
  ).join('');
  await writeFile(join(dir, 'hello.txt'), text);
  await writeFile(join(dir, `blob-${index}.bin`), seededBytes(`${seed}/${index}/blob`, size));
  await writeFile(
    join(dir, 'nested', 'deeper', 'small.bin'),
    seededBytes(`${seed}/${index}/small`, 1000 + index),
  );
  await writeFile(join(dir, 'nested', 'run.sh'), `#!/bin/sh\necho layer ${index}\n`, { mode: 0o755 });
  await symlink('hello.txt', join(dir, 'link-to-hello'));
}

function image(layout: string, tag: string): string {
  return `${layout}:${tag}`;
}

/**
 * Build an image of `layers` layers (layer i holds `/layer<i>/…`: a text file, a binary file,
 * a nested dir, an executable script and a symlink) with umoci into the OCI layout `layoutDir`
 * (created if needed) under `tag`, with config cmd, architecture and os set.
 */
export async function buildImage(
  layoutDir: string,
  tag: string,
  opts: BuildImageOptions,
): Promise<BuiltImage> {
  const sizes = opts.sizes ?? [16 * 1024, 256 * 1024, 1024 * 1024, 64 * 1024];
  const rootfs = opts.sourceDir ?? join(`${layoutDir}-src`, tag);
  if (!existsSync(join(layoutDir, 'index.json'))) {
    await mkdir(dirname(layoutDir), { recursive: true });
    await execOk('umoci', ['init', '--layout', layoutDir]);
  }
  await execOk('umoci', ['new', '--image', image(layoutDir, tag)]);
  await mkdir(rootfs, { recursive: true });
  for (let i = 0; i < opts.layers; i++) {
    const dir = join(rootfs, `layer${i}`);
    await writeLayerTree(dir, opts.seed, i, sizes[i % sizes.length] ?? 1024);
    await setTimesDeep(dir);
    await execOk('umoci', [
      'insert',
      '--image',
      image(layoutDir, tag),
      '--history.created',
      FIXED_TIME,
      '--history.created_by',
      `arca-test insert layer${i}`,
      dir,
      `/layer${i}`,
    ]);
  }
  await execOk('umoci', [
    'config',
    '--image',
    image(layoutDir, tag),
    '--created',
    FIXED_TIME,
    '--history.created',
    FIXED_TIME,
    '--architecture',
    opts.architecture ?? 'amd64',
    '--os',
    opts.os ?? 'linux',
    '--config.cmd',
    '/layer0/nested/run.sh',
    '--config.label',
    `arca.test.seed=${opts.seed}`,
  ]);
  return {
    layout: layoutDir,
    tag,
    ref: `oci:${layoutDir}:${tag}`,
    digest: await layoutDigest(layoutDir, tag),
    rootfs,
  };
}

/**
 * A new tag `toTag` in the same layout: the image of `fromTag` with one more config label, so
 * a different manifest (and digest) that shares all layers.
 */
export async function deriveImage(
  layoutDir: string,
  fromTag: string,
  toTag: string,
  label: string,
): Promise<string> {
  await execOk('umoci', [
    'config',
    '--image',
    image(layoutDir, fromTag),
    '--tag',
    toTag,
    '--history.created',
    FIXED_TIME,
    '--config.label',
    `arca.test.variant=${label}`,
  ]);
  return layoutDigest(layoutDir, toTag);
}

interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

async function readLayoutIndex(layoutDir: string): Promise<LayoutIndex> {
  return JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as LayoutIndex;
}

export function blobPath(layoutDir: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  if (!alg || !hex) throw new Error(`not a digest: ${digest}`);
  return join(layoutDir, 'blobs', alg, hex);
}

/** The descriptor index.json records for `tag` (its `org.opencontainers.image.ref.name`). */
export async function layoutDescriptor(layoutDir: string, tag: string): Promise<Descriptor> {
  const index = await readLayoutIndex(layoutDir);
  const found = index.manifests.filter((m) => m.annotations?.[REF_NAME] === tag);
  if (found.length !== 1) {
    const tags = index.manifests.map((m) => m.annotations?.[REF_NAME]).join(', ');
    throw new Error(`${layoutDir}: ${found.length} entries for tag ${tag} in index.json (tags: ${tags})`);
  }
  return found[0] as Descriptor;
}

/** The manifest (or index) digest recorded in the layout's index.json for `tag`. */
export async function layoutDigest(layoutDir: string, tag: string): Promise<string> {
  return (await layoutDescriptor(layoutDir, tag)).digest;
}

/** The blob digests of an OCI layout, sorted, each checked against its bytes. */
export async function layoutBlobs(layout: string): Promise<string[]> {
  const dir = join(layout, 'blobs', 'sha256');
  const digests: string[] = [];
  for (const hex of await readdir(dir)) {
    const digest = `sha256:${hex}`;
    if (sha256(await readFile(join(dir, hex))) !== digest)
      throw new Error(`${layout}: blob ${hex} does not match`);
    digests.push(digest);
  }
  return digests.sort();
}

/** A blob of the layout, checked against its digest. */
export async function readBlob(layoutDir: string, digest: string): Promise<Buffer> {
  const bytes = await readFile(blobPath(layoutDir, digest));
  if (sha256(bytes) !== digest) throw new Error(`${layoutDir}: blob ${digest} does not match its digest`);
  return bytes;
}

/**
 * Write an OCI image index over the images tagged `childTags` (platform from each child's
 * config: os/architecture/variant) into the layout as a blob, and tag it `tag` in index.json
 * (replacing an older entry of that tag). Returns the index digest.
 */
export async function buildIndex(layoutDir: string, tag: string, childTags: string[]): Promise<string> {
  const manifests: Descriptor[] = [];
  for (const child of childTags) {
    const desc = await layoutDescriptor(layoutDir, child);
    const manifest = JSON.parse((await readBlob(layoutDir, desc.digest)).toString('utf8')) as {
      config: Descriptor;
    };
    const config = JSON.parse((await readBlob(layoutDir, manifest.config.digest)).toString('utf8')) as {
      architecture: string;
      os: string;
      variant?: string;
    };
    const platform: Descriptor['platform'] = { architecture: config.architecture, os: config.os };
    if (config.variant) platform.variant = config.variant;
    manifests.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, platform });
  }
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  const digest = sha256(bytes);
  await writeFile(blobPath(layoutDir, digest), bytes);
  const index = await readLayoutIndex(layoutDir);
  index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  index.manifests.push({
    mediaType: OCI_INDEX,
    digest,
    size: bytes.length,
    annotations: { [REF_NAME]: tag },
  });
  const indexPath = join(layoutDir, 'index.json');
  await writeFile(`${indexPath}.tmp`, JSON.stringify(index));
  await rename(`${indexPath}.tmp`, indexPath);
  return digest;
}

/**
 * An amd64 and an arm64 image (tags `amd64`, `arm64`; two layers of `sizes`, seeds `<seed>-amd64` and
 * `<seed>-arm64`) and an index over both tagged `multi`. The index digest.
 */
export async function buildMultiPlatform(layoutDir: string, seed: string, sizes: number[]): Promise<string> {
  await buildImage(layoutDir, 'amd64', { layers: 2, seed: `${seed}-amd64`, sizes });
  await buildImage(layoutDir, 'arm64', { layers: 2, seed: `${seed}-arm64`, architecture: 'arm64', sizes });
  return buildIndex(layoutDir, 'multi', ['amd64', 'arm64']);
}

/** `umoci unpack` the image `tag` of the layout into `bundleDir`; returns its rootfs path. */
export async function unpackImage(layoutDir: string, tag: string, bundleDir: string): Promise<string> {
  await execOk('umoci', ['unpack', '--image', image(layoutDir, tag), bundleDir]);
  return join(bundleDir, 'rootfs');
}

/**
 * Differences between two directory trees: entries missing on either side, type, permission
 * bits, symlink targets and file contents (mtimes and owners are ignored). [] when equal.
 */
export async function compareTrees(expected: string, actual: string): Promise<string[]> {
  const diffs: string[] = [];
  async function walk(rel: string): Promise<void> {
    const a = join(expected, rel);
    const b = join(actual, rel);
    const ea = new Set(await readdir(a));
    const eb = new Set(await readdir(b));
    for (const name of eb) if (!ea.has(name)) diffs.push(`only in actual: ${join(rel, name)}`);
    for (const name of [...ea].sort()) {
      const r = join(rel, name);
      if (!eb.has(name)) {
        diffs.push(`missing: ${r}`);
        continue;
      }
      const [sa, sb] = [await lstat(join(expected, r)), await lstat(join(actual, r))];
      const type = (s: typeof sa) => (s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file');
      if (type(sa) !== type(sb)) {
        diffs.push(`${r}: ${type(sa)} became ${type(sb)}`);
        continue;
      }
      if (!sa.isSymbolicLink() && (sa.mode & 0o7777) !== (sb.mode & 0o7777)) {
        diffs.push(`${r}: mode ${(sa.mode & 0o7777).toString(8)} became ${(sb.mode & 0o7777).toString(8)}`);
      }
      if (sa.isDirectory()) await walk(r);
      else if (sa.isSymbolicLink()) {
        const [la, lb] = [await readlink(join(expected, r)), await readlink(join(actual, r))];
        if (la !== lb) diffs.push(`${r}: symlink ${la} became ${lb}`);
      } else if (!(await readFile(join(expected, r))).equals(await readFile(join(actual, r)))) {
        diffs.push(`${r}: content differs (${sa.size} vs ${sb.size} bytes)`);
      }
    }
  }
  await walk('');
  return diffs;
}

/** The total size of the layers of the layout's image `tag` (to keep test images small). */
export async function imageLayersSize(layoutDir: string, tag: string): Promise<number> {
  const desc = await layoutDescriptor(layoutDir, tag);
  const manifest = JSON.parse((await readBlob(layoutDir, desc.digest)).toString('utf8')) as {
    layers: Descriptor[];
  };
  return manifest.layers.reduce((n, l) => n + l.size, 0);
}
