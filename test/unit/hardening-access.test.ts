import { test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { loadConfig } from '../../src/config/index.js';
import { addressGroup } from '../../src/access/address-group.js';
import { RefusalSampler } from '../../src/access/audit-sampler.js';
import type { AuditEvent } from '../../src/access/audit.js';
import { bcryptCompare, bcryptGate } from '../../src/access/passwords.js';
import { Semaphore } from '../../src/access/semaphore.js';
import { LoginThrottle, defaultThrottleLimits } from '../../src/access/throttle.js';
import { AppError } from '../../src/errors/index.js';
import { quotedString } from '../../src/http/quoted-string.js';

test('hardening 4: an IPv6 address counts as its /64, an IPv4 address (also IPv4-mapped) as itself', () => {
  assert.equal(addressGroup('192.0.2.7'), '192.0.2.7');
  assert.equal(addressGroup('::ffff:192.0.2.7'), '192.0.2.7');
  const group = addressGroup('2001:db8:1:2::1');
  assert.equal(group, '2001:db8:1:2::/64');
  for (const same of [
    '2001:db8:1:2:ffff:ffff:ffff:ffff',
    '2001:0db8:0001:0002:0:0:0:9',
    '2001:db8:1:2::1.2.3.4',
  ]) {
    assert.equal(addressGroup(same), group, same);
  }
  assert.notEqual(addressGroup('2001:db8:1:3::1'), group);
  assert.equal(addressGroup('::1'), '0:0:0:0::/64');
  assert.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('hardening 4: attempts are counted before their outcome, per account and per IPv6 /64', () => {
  const now = 1_000_000;
  const throttle = new LoginThrottle(defaultThrottleLimits, () => now);
  // Six checks start from six addresses of one /64 before any has an answer: the seventh waits.
  for (let i = 1; i <= 6; i++) {
    assert.equal(throttle.check('alice', `2001:db8::${i}`).allowed, true, `attempt ${i}`);
    throttle.attempt('alice', `2001:db8::${i}`);
  }
  assert.equal(throttle.check('alice', '2001:db8::99').allowed, false);
  assert.equal(throttle.check('alice', '2001:db8:0:1::1').allowed, true, 'another /64 is another source');
  // A check that succeeds is forgiven: a client's own sign-ins never add up to a block.
  const client = new LoginThrottle(defaultThrottleLimits, () => now);
  for (let i = 0; i < 100; i++) {
    assert.equal(client.check('bob', '192.0.2.1').allowed, true);
    client.attempt('bob', '192.0.2.1');
    client.success('bob', '192.0.2.1');
  }
});

test('hardening 4: at most two bcrypt computations run at once; a full queue answers 429', async (t) => {
  const hash = bcrypt.hashSync('right-password', 4);
  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => bcryptCompare(i === 0 ? 'right-password' : `wrong-${i}`, hash)),
  );
  assert.deepEqual(results, [true, ...Array<boolean>(11).fill(false)]);
  t.diagnostic(`hardening 4: 12 simultaneous bcrypt compares ran at most ${bcryptGate.peak} at once`);
  assert.ok(bcryptGate.peak <= 2, `peak ${bcryptGate.peak}`);

  const gate = new Semaphore(1, 2, () => new AppError('TOOMANYREQUESTS'));
  let release!: () => void;
  const held = gate.run(() => new Promise<void>((r) => (release = r)));
  const queued = [gate.run(async () => 1), gate.run(async () => 2)];
  await assert.rejects(
    gate.run(async () => 3),
    (err: unknown) => err instanceof AppError && err.status === 429,
  );
  release();
  await held;
  assert.deepEqual(await Promise.all(queued), [1, 2]);
  assert.equal(gate.peak, 1);
});

function refusal(remote: string, actor: string | null, action = 'oci.push'): AuditEvent {
  return { actor, actorKind: actor ? 'user' : null, action, outcome: 'unauthorized', remote, status: 401 };
}

test('hardening 3: refusals from one source are written once per window and then counted', () => {
  let now = 0;
  const sampler = new RefusalSampler(60_000, () => now);
  let written = 0;
  for (let i = 0; i < 10_000; i++) {
    now += 1;
    if (sampler.admit(refusal('192.0.2.1', null))) written++;
  }
  assert.equal(written, 1);
  const summaries = sampler.drain();
  assert.equal(summaries.length, 1);
  assert.equal(summaries[0]!.detail!.repeated, 9_999);
  assert.deepEqual(sampler.drain(), [], 'a new window starts empty');

  // A source that names a new account every time keeps a bounded number of keys apart.
  for (let i = 0; i < 10_000; i++) {
    if (sampler.admit(refusal('2001:db8::1', `user-${i}`))) written++;
    if (sampler.admit(refusal(`2001:db8::${(i % 50) + 2}`, null, 'oci.pull'))) written++;
  }
  const folded = sampler.drain();
  assert.ok(written - 1 <= 18, `${written - 1} rows written for 20 000 refusals`);
  assert.ok(folded.length <= 2, `${folded.length} summaries`);
  assert.equal(folded.reduce((sum, s) => sum + (s.detail!.repeated as number), 0) + (written - 1), 20_000);
});

test('hardening 11a: challenge parameters are quoted strings with quotes and backslashes escaped, CR/LF dropped', () => {
  assert.equal(quotedString('a"b\\c\r\nd'), '"a\\"b\\\\cd"');
  assert.equal(quotedString('http://h:5000/auth/token'), '"http://h:5000/auth/token"');
});

test('hardening 11c: auth.htpasswd.admins and access.audit take environment overrides like every key', () => {
  const config = loadConfig({
    env: {
      REGISTRY_AUTH: 'htpasswd',
      REGISTRY_AUTH_HTPASSWD_PATH: '/etc/registry/htpasswd',
      REGISTRY_AUTH_HTPASSWD_ADMINS: '[alice, bob]',
      ARCA_ACCESS_AUDIT_RETENTION: '720h',
    },
  });
  assert.deepEqual(config.auth, {
    kind: 'htpasswd',
    realm: 'basic-realm',
    path: '/etc/registry/htpasswd',
    admins: ['alice', 'bob'],
  });
  assert.deepEqual(config.access.audit, { retention: 720 * 3_600_000, pruneinterval: 3_600_000 });
  assert.deepEqual(loadConfig({ env: {} }).access.audit, {
    retention: 2160 * 3_600_000,
    pruneinterval: 3_600_000,
  });
});
