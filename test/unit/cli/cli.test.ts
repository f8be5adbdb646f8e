/** The hptrace CLI as a user runs it: exit codes, error format, decode, diff. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFORMANCE_DIR } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';

const root = path.resolve(__dirname, '..', '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const conf = CONFORMANCE_DIR;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-cli-'));

function run(...args: string[]) {
  return spawnNode([cli, ...args]);
}
function write(name: string, text: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

const HEAD = 'hptrace 1\nhost page=64K\n';
const malformed: [string, string | Buffer, RegExp][] = [
  [
    'bad-number.hptrace',
    HEAD + 'hcall H_READ flags=0x0 pte_index=12ab\n',
    /:3:\d+: H_READ pte_index: expected a number/,
  ],
  ['unknown-keyword.hptrace', HEAD + 'mmap 0x0-0x10000 anon\n', /:3:1: unknown record "mmap"/],
  ['duplicate-field.hptrace', HEAD + 'vma 0x0-0x10000 anon pfn=1 pfn=2\n', /:3:\d+: vma anon: duplicate field "pfn"/],
  [
    'overlap.hptrace',
    HEAD + 'vma 0x10000-0x30000 anon\nvma 0x20000-0x40000 other\n',
    /:4:5: vma 0x20000-0x40000 overlaps the live vma 0x10000-0x30000 from line 3/,
  ],
  ['no-header.hptrace', 'host page=64K\n', /:1:1: expected the header/],
  [
    'garbage.hptrace',
    Buffer.from([0x68, 0x70, 0x74, 0x72, 0x61, 0x63, 0x65, 0x20, 0x31, 0x0a, 0x00, 0xff, 0xfe, 0x13, 0x88, 0x0a]),
    /:2:1: unknown record/,
  ],
  [
    'long-line.hptrace',
    HEAD + '# ok\nhcall H_READ ' + '0'.repeat(1 << 20) + '\n',
    /:4:65537: line is \d+ characters long/,
  ],
  [
    'overlap-slot.hptrace',
    HEAD + 'memslot 0 gfn=0x0 npages=0x10 hva=0x0\nmemslot 1 gfn=0x8 npages=0x10 hva=0x100000\n',
    /:4:9: memslot 1 .* overlaps memslot 0/,
  ],
];

for (const [name, text, re] of malformed) {
  test(`malformed input (${name}): exit 1, FILE:LINE:COL on stderr, no stack trace`, () => {
    const r = run('replay', write(name, text));
    assert.equal(r.status, 1);
    assert.equal(r.stdout.replace(/^ +line.*\n/, ''), '');
    assert.match(r.stderr, new RegExp(name.replace('.', '\\.') + re.source));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}

test('bad usage exits 2', () => {
  assert.equal(run('replay').status, 2);
  assert.equal(run('replay', path.join(conf, 'io-bar.hptrace'), '--kernel', 'v2').status, 2);
  assert.equal(run('frobnicate').status, 2);
  assert.equal(run('replay', path.join(tmp, 'missing.hptrace')).status, 2);
});

test('replay table shows the deciding check for failures, divergences and a summary', () => {
  const r = run('replay', path.join(conf, 'io-bar.hptrace'));
  assert.equal(r.status, 0);
  assert.match(
    r.stdout,
    /22 +H_ENTER .* H_PARAMETER\n +└ kvmppc_h_enter: guest WIMG WI-G: W=1 I=1 does not match the slot's cache bits I/,
  );
  assert.match(
    r.stdout,
    /36 +H_ENTER .*H_SUCCESS r4=0x130\n +!! DIVERGED: return code: recorded H_PARAMETER, emulated H_SUCCESS/,
  );
  assert.match(r.stdout, /12 hcalls replayed with kernel io, 1 diverged/);
  assert.match(r.stdout, /H_PARAMETER +5/);
});

test('diff lists exactly the hcalls the seed commit changes', () => {
  const r = run('diff', path.join(conf, 'io-bar.hptrace'));
  assert.equal(r.status, 0);
  const rows = r.stdout.trim().split('\n');
  assert.deepEqual(
    rows.slice(0, -1).map((l) => Number(l.trim().split(/\s+/)[0])),
    [18, 20],
  );
  assert.match(rows[0], /pre-io H_PARAMETER +io H_SUCCESS +io: RAM made cacheable/);
  assert.match(rows[rows.length - 1], /^2 of 12 hcalls differ/);
});

test('decode prints every field', () => {
  const r = run('decode', '0x20001102a', '--as', 'r');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /RPN +bits 59:12 +0x200011 +address 0x200011000/);
  assert.match(r.stdout, /I +bits 5 +0x1 +cache-inhibited/);
  assert.match(r.stdout, /G +bits 3 +0x1 +guarded/);
  const s = run('decode', '0x1001000088', '--as', 'slot_phys');
  assert.match(s.stdout, /GOT_PAGE +bits 7 +0x1/);
  assert.match(s.stdout, /ORDER +bits 4:0 +0x8 +8 \(16M backing page\)/);
  assert.match(s.stdout, /pfn .* 0x100100/);
});
