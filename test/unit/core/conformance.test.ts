/** Every case in test/conformance: the CLI's --json output must equal the expected JSON values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFORMANCE_DIR } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const dir = CONFORMANCE_DIR;
const cli = path.join(root, 'dist', 'cli.js');

const cases = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.hptrace'))
  .sort();

test('the conformance folder has cases', () => assert.ok(cases.length >= 5, `found ${cases.length} in ${dir}`));

for (const c of cases) {
  const base = path.join(dir, c.replace(/\.hptrace$/, ''));
  for (const [kernel, expected] of [
    ['io', `${base}.expected.jsonl`],
    ['pre-io', `${base}.pre-io.expected.jsonl`],
  ] as const) {
    if (!fs.existsSync(expected)) continue;
    test(`conformance ${c} --kernel ${kernel}`, () => {
      const r = spawnNode([cli, 'replay', path.join(dir, c), '--json', '--kernel', kernel]);
      assert.equal(r.status, 0, r.stderr);
      const got = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const want = fs
        .readFileSync(expected, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(got.length, want.length, 'number of JSON lines');
      for (let i = 0; i < want.length; i++)
        assert.deepStrictEqual(got[i], want[i], `line ${i + 1} of ${path.basename(expected)}`);
    });
  }
}
