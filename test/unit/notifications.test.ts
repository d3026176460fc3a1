import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { backoffDelay } from '../../src/jobs/index.js';
import { endpointWants, signBody, verifySignature } from '../../src/notifications/index.js';

const dir = mkdtempSync(join(tmpdir(), 'arca-notify-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

// The endpoint as registry:2's configuration reference shows it.
const registry2Notifications = `notifications:
  events:
    includereferences: true
  endpoints:
    - name: alistener
      disabled: false
      url: https://my.listener.com/event
      headers:
        Authorization: [Bearer <your token, if needed>]
      timeout: 1s
      threshold: 10
      backoff: 1s
      ignoredmediatypes:
        - application/octet-stream
      ignore:
        mediatypes:
           - application/octet-stream
        actions:
           - pull
`;

test('notifications: registry:2 documentation config loads as written', () => {
  const config = loadConfig({ file: file('r2.yml', registry2Notifications), env: {} });
  assert.equal(config.notifications.events.includereferences, true);
  assert.deepEqual(config.notifications.endpoints, [
    {
      name: 'alistener',
      disabled: false,
      url: 'https://my.listener.com/event',
      // A YAML flow sequence: the comma splits it in two values, as registry:2's parser reads it too.
      headers: { Authorization: ['Bearer <your token', 'if needed>'] },
      timeout: 1000,
      threshold: 10,
      backoff: 1000,
      ignoredmediatypes: ['application/octet-stream'],
      ignore: { mediatypes: ['application/octet-stream'], actions: ['pull'] },
    },
  ]);
  // Defaults: none configured, jobs with their defaults.
  const plain = loadConfig({ env: {} });
  assert.deepEqual(plain.notifications, { events: { includereferences: false }, endpoints: [] });
  assert.equal(plain.jobs.workers, true);
  assert.equal(plain.jobs.backoff.base, 2000);
});

test('notifications: REGISTRY_NOTIFICATIONS_* and ARCA_JOBS_* variables override the file', () => {
  const config = loadConfig({
    file: file('r2-env.yml', registry2Notifications),
    env: {
      REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES: 'false',
      REGISTRY_NOTIFICATIONS_ENDPOINTS: '[{name: other, url: "http://127.0.0.1:9/hook", backoff: 250ms}]',
      ARCA_JOBS_BACKOFF_BASE: '100ms',
      ARCA_JOBS_CONCURRENCY: '2',
    },
  });
  assert.equal(config.notifications.events.includereferences, false);
  assert.equal(config.notifications.endpoints.length, 1);
  assert.equal(config.notifications.endpoints[0]!.name, 'other');
  assert.equal(config.notifications.endpoints[0]!.backoff, 250);
  assert.equal(config.notifications.endpoints[0]!.timeout, 1000);
  assert.equal(config.jobs.backoff.base, 100);
  assert.equal(config.jobs.concurrency, 2);
});

test('notifications: bad endpoint configs are refused with their path', () => {
  const bad: [string, RegExp][] = [
    ['notifications: {endpoints: [{name: a, url: "ftp://x/"}]}', /notifications\.endpoints\.0\.url/],
    ['notifications: {endpoints: [{name: a}]}', /notifications\.endpoints\.0\.url/],
    ['notifications: {endpoints: [{name: a, url: "http://x/", colour: red}]}', /colour/],
    [
      'notifications: {endpoints: [{name: a, url: "http://x/"}, {name: a, url: "http://y/"}]}',
      /'a' is used twice/,
    ],
    ['jobs: {backoff: {base: 0s}}', /jobs\.backoff\.base/],
  ];
  bad.forEach(([text, message], i) => {
    assert.throws(() => loadConfig({ file: file(`bad-${i}.yml`, text), env: {} }), message);
  });
});

test('jobs: backoff doubles from its base and stops at its max', () => {
  const b = { base: 1000, max: 10_000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(b, n)),
    [1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  assert.equal(backoffDelay(b, 10_000), 10_000);
});

test('webhooks: signatures are HMAC-SHA256 of the body, checked in constant time', () => {
  const body = '{"events":[]}';
  // As computed independently: printf '%s' '{"events":[]}' | openssl dgst -sha256 -hmac secret
  assert.equal(
    signBody('secret', body),
    'sha256=a642b59553c93e227ec0f2f38910fbf71231a2197c00899833c00478cec86f34',
  );
  assert.match(signBody('secret', body), /^sha256=[0-9a-f]{64}$/);
  assert.ok(verifySignature('secret', body, signBody('secret', body)));
  assert.equal(verifySignature('secret', `${body} `, signBody('secret', body)), false);
  assert.equal(verifySignature('other', body, signBody('secret', body)), false);
  assert.equal(verifySignature('secret', body, 'sha256=short'), false);
});

test('notifications: an endpoint skips the actions and media types it ignores', () => {
  const endpoint = {
    name: 'e',
    disabled: false,
    url: 'http://x/',
    headers: {},
    timeout: 1000,
    threshold: 1,
    backoff: 1000,
    ignoredmediatypes: ['application/octet-stream'],
    ignore: { mediatypes: ['application/vnd.x'], actions: ['pull'] },
  };
  const target = (mediaType?: string) => ({ repository: 'r', ...(mediaType ? { mediaType } : {}) });
  assert.equal(
    endpointWants(endpoint, { action: 'push', target: target('application/vnd.oci.image.manifest.v1+json') }),
    true,
  );
  assert.equal(endpointWants(endpoint, { action: 'pull', target: target() }), false);
  assert.equal(
    endpointWants(endpoint, { action: 'push', target: target('application/octet-stream') }),
    false,
  );
  assert.equal(endpointWants(endpoint, { action: 'push', target: target('application/vnd.x') }), false);
  assert.equal(endpointWants(endpoint, { action: 'delete', target: target() }), true);
  assert.equal(endpointWants({ ...endpoint, disabled: true }, { action: 'delete', target: target() }), false);
});
