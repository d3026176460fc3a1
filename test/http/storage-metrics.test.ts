import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { inProcessArca, type InProcessArca } from '../helpers/in-process.js';

let arca: InProcessArca;
before(async () => {
  arca = await inProcessArca();
});
after(() => arca.close());

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('/metrics shows the storage layer’s operations of the server’s stores', async () => {
  const blob = 'counted bytes';
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  const push = await arca.app.inject({
    method: 'POST',
    url: `/v2/team/app/blobs/uploads/?digest=${digest}`,
    headers: { 'content-type': 'application/octet-stream' },
    payload: blob,
  });
  assert.equal(push.statusCode, 201, push.body);

  const text = (await arca.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.ok(
    (sample(text, 'arca_storage_operations_total', 'operation="upload_start",outcome="ok"') ?? 0) >= 1,
    text,
  );
  assert.ok(
    (sample(text, 'arca_storage_operations_total', 'operation="upload_commit",outcome="ok"') ?? 0) >= 1,
  );
  assert.match(
    text,
    /arca_storage_operations_total\{driver="filesystem",operation="upload_append",outcome="ok"\}/,
  );
  assert.match(text, /arca_storage_operation_duration_seconds_bucket\{le="[^"]+",driver="filesystem"/);
});
