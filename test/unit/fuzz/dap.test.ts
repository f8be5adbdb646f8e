/** The fuzzing tier's short run in `npm test`: random DAP sessions against the adapter, a fixed seed, ~8 s. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT } from '../../helpers/paths';
import { runDapFuzz } from './dapFuzz';
import { mutationList } from './traceFuzz';

test('fuzz (fixed seed, ~8 s): every DAP request gets exactly one response within 5 s, the adapter never exits', async () => {
  const r = await runDapFuzz({
    seed: 20261202,
    ms: 8000,
    saveDir: path.join(ROOT, 'test-artifacts', 'fuzz'),
    mutations: mutationList,
  });
  assert.ok(r.stats.sequences >= 5, `only ${r.stats.sequences} sessions ran`);
  assert.equal(r.failure, null, r.failure ? `${r.failure.message}\nreproduction: ${r.failure.saved}` : '');
});
