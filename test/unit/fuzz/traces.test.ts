/** The fuzzing tier's short run in `npm test`: generated traces, a fixed seed, about 6 seconds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { ROOT } from '../../helpers/paths';
import { runTraceFuzz } from './traceFuzz';

test('fuzz (fixed seed, ~6 s): CLI, strict parser, collecting parser, engine and editor model agree on every generated trace', () => {
  const r = runTraceFuzz({ seed: 20261202, ms: 6000, saveDir: path.join(ROOT, 'test-artifacts', 'fuzz') });
  assert.ok(r.stats.cases >= 50, `only ${r.stats.cases} cases ran`);
  assert.equal(r.failure, null, r.failure ? `${r.failure.message}\nreproduction: ${r.failure.saved}` : '');
});
