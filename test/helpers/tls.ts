import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execOk } from './exec.js';

/** A server's key and certificate for 127.0.0.1 (files, and their bytes). */
export interface Certificate {
  readonly keyPath: string;
  readonly certPath: string;
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A server certificate signed by a CA of its own, which a client trusts to reach it. */
export interface SignedCertificate extends Certificate {
  readonly caPath: string;
  readonly ca: Buffer;
}

const SUBJECT = '/CN=127.0.0.1';

async function certificateFiles(keyPath: string, certPath: string): Promise<Certificate> {
  return { keyPath, certPath, key: await readFile(keyPath), cert: await readFile(certPath) };
}

/**
 * A self-signed RSA certificate for 127.0.0.1 (`key.pem`, `cert.pem` in `dir`), valid `days`: the
 * certificate is its own CA.
 */
export async function selfSignedCertificate(dir: string, days = 1): Promise<Certificate> {
  await mkdir(dir, { recursive: true });
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  await execOk('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    String(days),
    '-subj',
    SUBJECT,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  return certificateFiles(keyPath, certPath);
}

/**
 * A CA (`ca.pem`, `ca.key`) and a server certificate it signed for 127.0.0.1 and localhost
 * (`server.pem`, `server.key`) in `dir`, P-256 keys, valid `days`: what a client given the CA file
 * accepts, as it would a real server's.
 */
export async function caSignedCertificate(dir: string, days = 2): Promise<SignedCertificate> {
  await mkdir(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caPath = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  const keyPath = join(dir, 'server.key');
  const certPath = join(dir, 'server.pem');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'ext.cnf');
  const validity = ['-days', String(days)];
  await execOk('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    caKey,
    '-out',
    caPath,
    ...validity,
    '-subj',
    '/CN=arca test CA',
  ]);
  await execOk('openssl', ['req', ...ec, '-keyout', keyPath, '-out', csr, '-subj', SUBJECT]);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await execOk('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caPath,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    certPath,
    ...validity,
    '-extfile',
    ext,
  ]);
  return { ...(await certificateFiles(keyPath, certPath)), caPath, ca: await readFile(caPath) };
}
