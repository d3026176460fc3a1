import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller, VerifiedToken } from '../../src/access/index.js';
import { freshDatabase } from '../helpers/catalog-db.js';
import { dialects } from '../helpers/dialects.js';
import { makeTempDir } from '../helpers/tmp.js';
import { testAccessControl } from '../helpers/access-control.js';
import { StaticRegistries } from '../helpers/static-registries.js';

const alice: Caller = { kind: 'user', name: 'alice', source: 'arca' };
const bob: Caller = { kind: 'user', name: 'bob', source: 'arca' };
const owner: Caller = { kind: 'user', name: 'olga', source: 'arca' };
const anonymous: Caller = { kind: 'anonymous' };

/** A bearer token as the verifier hands it on: issued here unless said otherwise. */
function token(
  subject: string,
  access: VerifiedToken['access'],
  issuedHere = true,
  kind: VerifiedToken['kind'] = 'user',
): VerifiedToken {
  return { subject, kind, access, expiresAt: Date.now() + 60_000, issuedAt: Date.now(), issuedHere };
}

for (const dialect of dialects()) {
  test(`house: AccessControl decides /v2 repository and catalog access from tokens and grants (${dialect})`, async () => {
    const { meta, drop } = await freshDatabase(dialect);
    const keys = makeTempDir('arca-decisions-keys-');
    try {
      // `models` is private; anyone may pull from `public`.
      const access = testAccessControl(
        meta.db,
        { kind: 'arca' },
        keys.path,
        {},
        new StaticRegistries(['models', 'public'], ['public']),
      );
      for (const name of ['alice', 'bob', 'olga']) {
        await access.directory.createUser(name, 'a long enough password 1');
      }
      await access.roles.assign(
        { role: 'Reader', principal: { kind: 'user', name: 'alice' }, scope: '/registries/models' },
        null,
      );
      await access.roles.assign(
        { role: 'Owner', principal: { kind: 'user', name: 'olga' }, scope: '/' },
        null,
      );

      // Without a token: the caller's grants, and what anyone may do.
      assert.equal(await access.repositoryAccess(alice, undefined, 'pull', 'models/llm'), 'yes');
      assert.equal(await access.repositoryAccess(alice, undefined, 'push', 'models/llm'), 'no');
      assert.equal(await access.repositoryAccess(alice, undefined, 'pull', 'plain/app'), 'no');
      assert.equal(await access.repositoryAccess(bob, undefined, 'pull', 'models/llm'), 'no');
      assert.equal(await access.repositoryAccess(bob, undefined, 'pull', 'public/llm'), 'yes');
      assert.equal(await access.repositoryAccess(anonymous, undefined, 'pull', 'public/llm'), 'yes');
      assert.equal(await access.repositoryAccess(anonymous, undefined, 'push', 'public/llm'), 'no');
      assert.equal(await access.repositoryAccess(anonymous, undefined, 'pull', 'models/llm'), 'no');

      // With a token: its access claim first; a new token helps only where the roles would allow.
      const forOne = token('alice', [{ type: 'repository', name: 'models/llm', actions: ['pull'] }]);
      assert.equal(await access.repositoryAccess(alice, forOne, 'pull', 'models/llm'), 'yes');
      assert.equal(await access.repositoryAccess(alice, forOne, 'pull', 'models/other'), 'token-lacks');
      assert.equal(await access.repositoryAccess(alice, forOne, 'push', 'models/llm'), 'no');
      assert.equal(await access.repositoryAccess(alice, forOne, 'pull', 'public/anything'), 'yes');
      const wildcard = token('alice', [{ type: 'repository', name: 'plain/app', actions: ['*'] }]);
      assert.equal(await access.repositoryAccess(alice, wildcard, 'delete', 'plain/app'), 'yes');
      // Arca cannot ask an external token server's RBAC, nor an anonymous caller's: a new token may help.
      const external = token('eve', [], false);
      assert.equal(await access.repositoryAccess(alice, external, 'push', 'models/llm'), 'token-lacks');
      const anonymousToken = token('', [], true, 'anonymous');
      assert.equal(
        await access.repositoryAccess(anonymous, anonymousToken, 'pull', 'models/llm'),
        'token-lacks',
      );

      // The catalog: any signed-in caller lists what it may pull.
      const listing = await access.catalogAccess(alice, undefined);
      assert.equal(listing.verdict, 'yes');
      assert.ok(listing.verdict === 'yes' && listing.visible);
      assert.equal(listing.visible('models/llm'), true);
      assert.equal(listing.visible('public/llm'), true);
      assert.equal(listing.visible('plain/app'), false);
      const bobs = await access.catalogAccess(bob, undefined);
      assert.ok(bobs.verdict === 'yes' && bobs.visible);
      assert.equal(bobs.visible('models/llm'), false);
      const owners = await access.catalogAccess(owner, undefined);
      assert.ok(owners.verdict === 'yes' && owners.visible);
      assert.equal(owners.visible('plain/app'), true);
      // A token must carry the catalog scope.
      assert.deepEqual(await access.catalogAccess(alice, forOne), { verdict: 'token-lacks' });
      const catalogScope = [{ type: 'registry', name: 'catalog', actions: ['*'] }];
      const scoped = await access.catalogAccess(alice, token('alice', catalogScope));
      assert.ok(scoped.verdict === 'yes' && scoped.visible);
      assert.equal(scoped.visible('plain/app'), false);
      // An external token server decides alone: with the scope, everything is listed.
      assert.deepEqual(await access.catalogAccess(alice, token('eve', catalogScope, false)), {
        verdict: 'yes',
      });
      assert.deepEqual(await access.catalogAccess(alice, external), { verdict: 'token-lacks' });

      // A route's declared permission: granted at `/` only.
      assert.equal(await access.allows(alice, 'access/manage'), false);
      assert.equal(await access.allows(owner, 'access/manage'), true);
      assert.equal(
        await access.allows(alice, 'registries/assets/read'),
        false,
        'granted on one registry only',
      );
      await access.close();
    } finally {
      await drop();
      await keys.cleanup();
    }
  });
}

test('house: with auth none, AccessControl allows every repository action and lists everything', async () => {
  const { meta, drop } = await freshDatabase('sqlite');
  const keys = makeTempDir('arca-decisions-keys-');
  try {
    const access = testAccessControl(meta.db, { kind: 'none' }, keys.path);
    assert.equal(await access.repositoryAccess(anonymous, undefined, 'delete', 'any/thing'), 'yes');
    assert.deepEqual(await access.catalogAccess(anonymous, undefined), { verdict: 'yes' });
    await access.close();
  } finally {
    await drop();
    await keys.cleanup();
  }
});
