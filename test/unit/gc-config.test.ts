import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';

test('gc: defaults to a 24h grace period every hour; the file and ARCA_GC_* set them; bad durations are refused', () => {
  const defaults = loadConfig({ env: {} });
  assert.deepEqual(defaults.gc, { enabled: true, graceperiod: 24 * 3600_000, interval: 3600_000 });

  const fromEnv = loadConfig({
    env: { ARCA_GC_GRACEPERIOD: '5s', ARCA_GC_INTERVAL: '2s', ARCA_GC_ENABLED: 'false' },
  });
  assert.deepEqual(fromEnv.gc, { enabled: false, graceperiod: 5_000, interval: 2_000 });

  assert.throws(() => loadConfig({ env: { ARCA_GC_INTERVAL: '0s' } }), /gc\.interval/);
  assert.throws(() => loadConfig({ env: { ARCA_GC_GRACEPERIOD: 'soon' } }), /gc\.graceperiod/);
  assert.throws(() => loadConfig({ env: { ARCA_GC_SOMETHING: '1' } }), /gc/);
});
