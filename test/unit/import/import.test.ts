/** hptrace import: every capture kind, coverage, round trips, bad input, --check-htab. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coverageMessage, readCoverage } from '../../../src/core/coverage';
import { checkHtab } from '../../../src/import/checkHtab';
import { importCaptures, SettingError } from '../../../src/import/importer';
import { detectKind } from '../../../src/import/kinds';
import { HcallPairer } from '../../../src/import/hcallEvents';
import { TraceError } from '../../../src/core/records';
import { RETURN_CODES } from '../../../src/core/bits';
import { renderCaptures, replayText } from '../../helpers/captures';
import { FIXTURES_DIR, ROOT } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';
import { unreadableToCli } from '../../helpers/unreadable';
import { execFileSync } from 'node:child_process';

const CAP = path.join(FIXTURES_DIR, 'captures');
const cap = (f: string) => path.join(CAP, f);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-import-'));
const cli = path.join(ROOT, 'dist', 'cli.js');
let n = 0;
const out = () => path.join(tmp, `out-${++n}.hptrace`);
function write(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}
function run(...args: string[]) {
  return spawnNode([cli, ...args]);
}
const P9_SET = ['host.cpu=power9', 'vma.0x3fff80000000.cache=I', 'vma.0x3fff80000000.pgoff=0x200000'];

test('each input kind is detected from its content, not its name', () => {
  const want: [string, string][] = [
    ['p9-ftrace.txt', 'ftrace'],
    ['p7-ftrace.txt', 'ftrace'],
    ['p9-trace-cmd.txt', 'trace-cmd'],
    ['p9-perf.txt', 'perf'],
    ['qemu-memslots.log', 'qemu-trace'],
    ['strace-memslots.txt', 'strace'],
    ['qemu.maps', 'maps'],
    ['qemu.smaps', 'smaps'],
    ['htab-start.txt', 'htab'],
  ];
  for (const [f, kind] of want) {
    assert.equal(detectKind(cap(f)), kind, f);
    // same content under a misleading name
    const copy = write(`renamed-${f}.smaps`, fs.readFileSync(cap(f), 'utf8'));
    assert.equal(detectKind(copy), kind, `${f} renamed`);
  }
});

for (const hc of ['p9-ftrace.txt', 'p9-trace-cmd.txt', 'p9-perf.txt']) {
  for (const ms of ['qemu-memslots.log', 'strace-memslots.txt']) {
    test(`${hc} + ${ms} + smaps import into a trace that replays without divergence`, () => {
      const o = out();
      const r = importCaptures({ hcalls: cap(hc), memslots: cap(ms), smaps: cap('qemu.smaps'), set: P9_SET }, o);
      assert.equal(r.stats.kept, 7);
      assert.equal(r.stats.others.get('H_CEDE'), 1);
      const text = fs.readFileSync(o, 'utf8');
      assert.match(text, /^hptrace 2\n/);
      const { results, diverged } = replayText(text, o);
      assert.deepEqual(results, [
        'H_SUCCESS',
        'H_SUCCESS',
        'H_SUCCESS',
        'H_SUCCESS',
        'H_SUCCESS',
        'H_NOT_FOUND',
        'H_SUCCESS',
      ]);
      assert.equal(diverged, 0);
      // the enter order is kept, and the hugetlb mapping came from smaps' VmFlags
      assert.match(text, /vma 0x7fff00000000-0x7fff10000000 anon page=16M/);
      assert.match(text, /vma 0x3fff80000000-0x3fff80100000 pfnmap pgoff=0x200000 cache=I/);
      assert.match(text, / H_BULK_REMOVE 0x4000000000000100 0x0 0xc000000000000000 0x0 \? \? \? \? -> H_SUCCESS\n/);
    });
  }
}

test('a POWER9 capture is complete, a POWER7 one partial, and the launch message says which and why', () => {
  const o9 = out();
  importCaptures(
    { hcalls: cap('p9-perf.txt'), memslots: cap('qemu-memslots.log'), smaps: cap('qemu.smaps'), set: P9_SET },
    o9,
  );
  const c9 = readCoverage(o9)!;
  assert.equal(c9.coverage, 'complete');
  assert.deepEqual(c9.why.slice(0, 1), ['virtual-mode']);
  assert.equal(c9.host, 'power9');
  assert.match(coverageMessage(c9), /^This trace is COMPLETE/);

  const o7 = out();
  const r7 = importCaptures(
    {
      hcalls: cap('p7-ftrace.txt'),
      memslots: cap('strace-memslots.txt'),
      maps: cap('qemu.maps'),
      htab: cap('htab-start.txt'),
      set: ['host.cpu=power7'],
    },
    o7,
  );
  const c7 = readCoverage(o7)!;
  assert.equal(c7.coverage, 'partial');
  assert.deepEqual(c7.why, [
    'real-mode',
    'passed-to-qemu',
    'bulk-truncated',
    'lost-events',
    'no-outputs',
    'htab-start',
  ]);
  assert.deepEqual(c7.from, ['ftrace', 'strace', 'maps', 'htab']);
  const msg = coverageMessage(c7);
  assert.match(msg, /PARTIAL/);
  assert.match(msg, /real mode/);
  assert.match(msg, /passed on to QEMU/);
  assert.equal(r7.stats.passedToQemu, 1);
  assert.equal(r7.stats.orphanExits, 1);
  assert.equal(r7.stats.lostExits, 1);
  assert.equal(r7.stats.unnamedResults, 1);
  assert.equal(r7.hptes, 1);
  const text = fs.readFileSync(o7, 'utf8');
  // H_TOO_HARD is never written as a result: the call went to QEMU and its result is unknown
  assert.doesNotMatch(text, /-> H_TOO_HARD/);
  assert.match(text, /hcall @1512\.334401 vcpu=1 H_ENTER .* -> \? # passed to QEMU/);
  assert.match(text, /hpte 0x104 v=0x4000000000004005 r=0x100000000190 guest_r=0x190/);
  // enter order across VCPUs: vcpu 1's enter (…401) before vcpu 0's (…402) although vcpu 0 exits first
  assert.ok(text.indexOf('@1512.334401') < text.indexOf('@1512.334402'));
  // unknown results replay as unknown, not as a divergence
  const { results } = replayText(text, o7);
  assert.equal(results[3], 'unknown'); // the bulk remove past its known pairs

  // without host.cpu: partial, and the output says to give it
  const o = out();
  importCaptures({ hcalls: cap('p9-trace-cmd.txt') }, o);
  assert.deepEqual(readCoverage(o)!.why.slice(0, 1), ['host-unknown']);
  assert.match(fs.readFileSync(o, 'utf8'), /--set host\.cpu=power7\|power9/);
});

test('defaults are named in a comment next to the record they affected', () => {
  const o = out();
  importCaptures({ hcalls: cap('p9-ftrace.txt'), memslots: cap('qemu-memslots.log'), maps: cap('qemu.maps') }, o);
  const text = fs.readFileSync(o, 'utf8');
  assert.match(text, /^cpu power7 +# default: .*--set cpu=/m);
  assert.match(text, /^host page=64K +# default: .*--set host\.page=/m);
  assert.match(text, /^hpt order=24 +# default .*--set hpt\.order=/m);
  assert.match(text, /^vma 0x7fff00000000-0x7fff10000000 anon +# pfn default .*--set vma\.0x7fff00000000\.pfn=/m);
  const o2 = out();
  importCaptures(
    { hcalls: cap('p9-ftrace.txt'), smaps: cap('qemu.smaps'), set: ['cpu=ppc970', 'host.page=4K', 'hpt.order=20'] },
    o2,
  );
  const t2 = fs.readFileSync(o2, 'utf8');
  assert.match(t2, /^cpu ppc970$/m);
  assert.match(t2, /^host page=4K$/m);
  assert.match(t2, /^hpt order=20$/m);
  assert.match(t2, /^vma 0x3fff80000000-0x3fff80100000 pfnmap +# pgoff default 0.*; cache default none/m);
});

// ---- round trip: .hptrace -> captures -> import -> replay ------------------------------------

const sources = [
  ...fs.readdirSync(path.join(ROOT, 'examples')).map((f) => path.join(ROOT, 'examples', f)),
  ...fs
    .readdirSync(path.join(ROOT, 'test', 'conformance'))
    .filter((f) => f.endsWith('.hptrace'))
    .map((f) => path.join(ROOT, 'test', 'conformance', f)),
].filter((f) => f.endsWith('.hptrace'));

let roundTrips = 0;
for (const src of sources) {
  const styles = ['ftrace', 'trace-cmd', 'perf'] as const;
  const text = fs.readFileSync(src, 'utf8');
  // Captures hold set-up only before the hcalls (memslots cannot be placed in the hcall stream).
  const firstHcall = text.search(/^hcall /m);
  if (firstHcall < 0 || /^(vma|memslot|munmap|cpu|host|hpt) /m.test(text.slice(firstHcall))) continue;
  if (/^memslot .*flags=0x[0-9a-f]*[2-9a-f]\b/m.test(text)) continue; // only dirty logging survives import
  roundTrips++;
  const style = styles[roundTrips % 3];
  const slotKind = roundTrips % 2 ? 'qemu-trace' : 'strace';
  test(`round trip ${path.basename(src)} as ${style} + ${slotKind}: the imported trace gives the same results`, () => {
    const c = renderCaptures(text, style, slotKind);
    const hc = write(`rt-${path.basename(src)}.${style}.txt`, c.hcalls);
    const ms = write(`rt-${path.basename(src)}.slots`, c.memslots);
    const sm = write(`rt-${path.basename(src)}.smaps`, c.smaps);
    const o = out();
    importCaptures(
      { hcalls: hc, memslots: c.memslots.trim() ? ms : undefined, smaps: c.smaps.trim() ? sm : undefined, set: c.set },
      o,
    );
    const back = replayText(fs.readFileSync(o, 'utf8'), o);
    const emulated = c.results.filter((r) => r !== 'not emulated');
    assert.equal(back.results.length, emulated.length, 'the five HPT hcalls are all kept');
    let compared = 0;
    back.results.forEach((r, i) => {
      if (r === 'unknown') return; // an H_BULK_REMOVE past its first two pairs
      assert.equal(r, emulated[i], `hcall ${i + 1}`);
      compared++;
    });
    assert.ok(
      compared >= emulated.length - 2 || compared > emulated.length / 2,
      `compared ${compared} of ${emulated.length}`,
    );
    assert.equal(back.diverged, 0);
  });
}
test('the round trips cover several traces', () => assert.ok(roundTrips >= 4, `only ${roundTrips} round trips`));

// ---- bad input ---------------------------------------------------------------------------

const bad: [string, string, string, RegExp][] = [
  [
    'hcalls',
    'ftrace-bad-gpr.txt',
    '# tracer: nop\n CPU 0/KVM-1 [000] .... 1.000001: kvm_hcall_enter: VCPU 0: hcall=H_ENTER GPR4-7=0x0,0x1,zz,0x2\n',
    /ftrace-bad-gpr\.txt:2:\d+: expected GPR6 as 0x-prefixed hex/,
  ],
  [
    'hcalls',
    'ftrace-no-cpu.txt',
    '# tracer: nop\n CPU 0/KVM-1 .... 1.000001: kvm_hcall_enter: VCPU 0: hcall=H_ENTER\n',
    /ftrace-no-cpu\.txt:2:2: expected an event line/,
  ],
  [
    'hcalls',
    'tc-bad-ret.txt',
    'version = 6\ncpus=2\n CPU 0/KVM-1 [000] 1.000001: kvm_hcall_exit: VCPU 0: ret=RESUME_LATER hcall_rc=H_SUCCESS\n',
    /tc-bad-ret\.txt:3:\d+: ret=: expected one of RESUME_GUEST/,
  ],
  [
    'hcalls',
    'tc-bad-ts.txt',
    'version = 6\n CPU 0/KVM-1 [000] 1.0x: kvm_hcall_exit: VCPU 0: ret=RESUME_GUEST hcall_rc=H_SUCCESS\n',
    /tc-bad-ts\.txt:2:\d+: expected a time stamp/,
  ],
  [
    'hcalls',
    'perf-bad-vcpu.txt',
    ' CPU 0/KVM 1 [000] 1.000001: kvm_hv:kvm_hcall_enter: VCPU x: hcall=H_READ GPR4-7=0x0,0x0,0x0,0x0\n',
    /perf-bad-vcpu\.txt:1:\d+: expected the VCPU number/,
  ],
  [
    'hcalls',
    'mixed.txt',
    '# tracer: nop\n CPU 0/KVM-1 [000] .... 1.000001: kvm_hcall_exit: VCPU 0: ret=RESUME_GUEST hcall_rc=H_SUCCESS\n CPU 0/KVM-1 [000] 1.000002: kvm_hv:kvm_hcall_exit: VCPU 0: ret=RESUME_GUEST hcall_rc=H_SUCCESS\n',
    /mixed\.txt:3:\d+: .*SYSTEM: prefix.*\(mixed input kinds: this line looks like perf script, the file is raw ftrace\)/,
  ],
  ['hcalls', 'unknown.txt', 'hello world\nthis is not a capture\n', /unknown\.txt:1:1: unknown input kind/],
  [
    'hcalls',
    'wrong-role.txt',
    '10000000-10020000 r-xp 00000000 fd:00 10558  /usr/bin/sed\n',
    /wrong-role\.txt:1:1: this looks like \/proc\/PID\/maps, not what --hcalls takes/,
  ],
  [
    'memslots',
    'qemu-bad.log',
    'kvm_set_user_memory Slot#0 flags=0x0 gpa=0x0 size=0x1000q ua=0x0 ret=0\n',
    /qemu-bad\.log:1:\d+: expected a space before ua=/,
  ],
  [
    'memslots',
    'strace-bad.txt',
    'ioctl(9, KVM_SET_USER_MEMORY_REGION, {slot=0, flags=KVM_MEM_FAST, guest_phys_addr=0, memory_size=65536, userspace_addr=0x10000}) = 0\n',
    /strace-bad\.txt:1:\d+: flags: unknown flag "KVM_MEM_FAST"/,
  ],
  [
    'maps',
    'maps-bad.maps',
    '10000000-10020000 r-xp 00000000 fd:00 10558  /usr/bin/sed\n10020000-1003000 rwzp 00000000 fd:00 10558  /usr/bin/sed\n',
    /maps-bad\.maps:2:1: empty range|maps-bad\.maps:2:\d+: expected permissions/,
  ],
  [
    'smaps',
    'smaps-bad.smaps',
    '10000000-10020000 r-xp 00000000 fd:00 10558  /usr/bin/sed\nKernelPageSize:   sixty kB\n',
    /smaps-bad\.smaps:2:\d+: expected KernelPageSize \(decimal digits\)/,
  ],
  [
    'htab',
    'htab-bad.txt',
    '   104 4000000000004005 0000100000000190 0000000000000190\n   105 4000000000004005 00001000000g0190 0000000000000190\n',
    /htab-bad\.txt:2:\d+: unexpected|htab-bad\.txt:2:\d+: expected/,
  ],
];

for (const [role, name, text, re] of bad) {
  test(`bad input (${name}, --${role}): exit 1 with FILE:LINE:COL as given, nothing written`, () => {
    const f = write(name, text);
    const rel = path.relative(process.cwd(), f);
    const args = role === 'hcalls' ? ['--hcalls', rel] : ['--hcalls', cap('p9-ftrace.txt'), `--${role}`, rel];
    const o = path.join(tmp, `never-${name}.hptrace`);
    const r = run('import', ...args, '-o', o);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, re);
    assert.ok(r.stderr.startsWith(rel + ':'), `FILE as given: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(fs.existsSync(o), false, 'no output on failure');
    assert.deepEqual(
      fs.readdirSync(tmp).filter((x) => x.includes('.import-')),
      [],
      'no temporary file left',
    );
  });
}

test('usage errors: unknown --set key, the output is an input, a missing --hcalls (exit 2, inputs untouched)', () => {
  const input = write('keep.txt', fs.readFileSync(cap('p9-ftrace.txt'), 'utf8'));
  const before = fs.readFileSync(input, 'utf8');
  let r = run('import', '--hcalls', input, '--set', 'guest.ram=1G', '-o', out());
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown key "guest\.ram"/);
  r = run('import', '--hcalls', input, '-o', input);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /never writes into an input/);
  assert.equal(fs.readFileSync(input, 'utf8'), before);
  r = run('import', '--memslots', cap('qemu-memslots.log'));
  assert.equal(r.status, 2);
  assert.throws(() => importCaptures({ hcalls: input, set: ['vma.0x1234.pfn=0x1'] }, out()), SettingError);
});

test('without -o the trace goes to standard output and the summary to standard error', () => {
  const r = run('import', '--hcalls', cap('p9-perf.txt'), '--set', 'host.cpu=power9');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^hptrace 2\n/);
  assert.match(r.stdout, /^coverage complete why=virtual-mode/m);
  assert.match(r.stderr, /7 HPT hcalls written/);
});

test('lost events: an enter followed by another enter on the same VCPU keeps an unknown result', () => {
  const f = write(
    'lost.txt',
    '# tracer: nop\n' +
      ' CPU 0/KVM-1 [000] .... 1.000001: kvm_hcall_enter: VCPU 0: hcall=H_READ GPR4-7=0x0,0x1,0x0,0x0\n' +
      ' CPU 0/KVM-1 [000] .... 1.000002: kvm_hcall_enter: VCPU 0: hcall=H_READ GPR4-7=0x0,0x2,0x0,0x0\n' +
      ' CPU 0/KVM-1 [000] .... 1.000003: kvm_hcall_exit: VCPU 0: ret=RESUME_GUEST hcall_rc=H_SUCCESS\n',
  );
  const o = out();
  const r = importCaptures({ hcalls: f }, o);
  assert.equal(r.stats.lostExits, 1);
  const hc = fs
    .readFileSync(o, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('hcall'));
  assert.deepEqual(hc, [
    'hcall @1.000001 vcpu=0 H_READ 0x0 0x1 -> ? # no exit event (lost)',
    'hcall @1.000002 vcpu=0 H_READ 0x0 0x2 -> H_SUCCESS',
  ]);
});

// ---- --check-htab -------------------------------------------------------------------------

test('replay --check-htab: exit 0 when the dump agrees, 4 with every differing entry when not; ABSENT skipped', () => {
  const o = out();
  importCaptures(
    { hcalls: cap('p9-ftrace.txt'), memslots: cap('qemu-memslots.log'), smaps: cap('qemu.smaps'), set: P9_SET },
    o,
  );
  // The final HPT: entry 0x100 was entered, protected and bulk-removed; 0x200 entered and removed.
  // Build a dump of a state that matches: add an entry with a replayed twin by loading one more H_ENTER.
  const extra = o.replace(/\.hptrace$/, '-more.hptrace');
  fs.writeFileSync(
    extra,
    fs.readFileSync(o, 'utf8') +
      'hcall vcpu=0 H_ENTER flags=0x0 pte_index=0x300 pteh=0x4000000000004005 ptel=0x110 -> H_SUCCESS\n',
  );
  const dumpOk = write(
    'htab-ok.txt',
    '   300 4000000000004005 0000000000000110 0000000000000110\n   301 4000000000004024 0000000000000000 0000000000000000\n',
  );
  let c = checkHtab(extra, dumpOk);
  // the host r differs in its RPN only (host frames are defaults): that is not a difference
  assert.deepEqual(c.diffs, []);
  assert.equal(c.absentSkipped, 1);
  let r = run('replay', extra, '--check-htab', dumpOk);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /agrees with .*1 valid entries compared, 1 ABSENT skipped/);

  const dumpBad = write(
    'htab-bad-end.txt',
    '   300 4000000000004005 0000000000000112 0000000000000112\n   400 4000000000005005 0000000000000110 0000000000000110\n',
  );
  c = checkHtab(extra, dumpBad);
  assert.deepEqual(
    c.diffs.map((d) => [d.index, d.what, d.lastLine]),
    [
      [0x300, 'r (outside the RPN), guest r', fs.readFileSync(extra, 'utf8').split('\n').length - 1],
      [0x400, 'not valid in the replay', 0],
    ],
  );
  r = run('replay', extra, '--check-htab', dumpBad);
  assert.equal(r.status, 4);
  assert.match(
    r.stdout,
    /0x300 +0x4000000000004005 +0x112 +0x4000000000004005 +0x\w+ +line \d+ +r \(outside the RPN\), guest r/,
  );
  assert.match(r.stdout, /2 HPT entries differ/);

  const dumpMalformed = write('htab-malformed.txt', '   300 4000000000004005 zz 0000000000000110\n');
  r = run('replay', extra, '--check-htab', dumpMalformed);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /htab-malformed\.txt:1:\d+: expected r/);
});

test('a malformed line is a TraceError naming the file as given', () => {
  const f = write('bad-struct.txt', 'ioctl(9, KVM_SET_USER_MEMORY_REGION, [1, 2]) = 0\n');
  assert.throws(
    () => importCaptures({ hcalls: cap('p9-ftrace.txt'), memslots: f }, out()),
    (e: unknown) => e instanceof TraceError && e.file === f && e.line === 1 && /expected "\{"/.test(e.detail),
  );
});

test('mixed input kinds are named in the error: each line says what it looks like and what the file is', () => {
  const cases: [string, string, string, RegExp][] = [
    [
      'hcalls',
      'mix-ftrace-in-perf.txt',
      ' CPU 0/KVM 1 [000] 1.000001: kvm_hv:kvm_hcall_exit: VCPU 0: ret=RESUME_GUEST hcall_rc=H_SUCCESS\n CPU 0/KVM-1 [000] .... 1.000002: kvm_hcall_exit: VCPU 0: ret=RESUME_GUEST hcall_rc=H_SUCCESS\n',
      /:2:\d+: .*\(mixed input kinds: this line looks like raw ftrace, the file is perf script\)/,
    ],
    [
      'hcalls',
      'mix-qemu-in-ftrace.txt',
      '# tracer: nop\nkvm_set_user_memory AddrSpace#0 Slot#0 flags=0x0 gpa=0x0 size=0x10000 ua=0x10000 ret=0\n',
      /:2:1: .*\(mixed input kinds: this line looks like a QEMU trace log, the file is raw ftrace\)/,
    ],
    [
      'htab',
      'mix-maps-in-htab.txt',
      '   104 4000000000004005 0000100000000190 0000000000000190\n10000000-10020000 r-xp 00000000 fd:00 10558  /usr/bin/sed\n',
      /:2:\d+: .*\(mixed input kinds: this line looks like \/proc\/PID\/maps, the file is an htab dump\)/,
    ],
    [
      'maps',
      'mix-htab-in-maps.maps',
      '10000000-10020000 r-xp 00000000 fd:00 10558  /usr/bin/sed\n   104 4000000000004005 0000100000000190 0000000000000190\n',
      /:1:1: this looks like an htab dump, not what --maps takes/,
    ],
  ];
  for (const [role, name, text, re] of cases) {
    const f = write(name, text);
    const o = out();
    const r = run('import', ...(role === 'hcalls' ? [] : ['--hcalls', cap('p9-ftrace.txt')]), `--${role}`, f, '-o', o);
    assert.equal(r.status, 1, name + ': ' + r.stderr);
    assert.match(r.stderr, re, name);
    assert.equal(fs.existsSync(o), false);
  }
});

test('the byte fast path and the careful path write the same lines', () => {
  const canon = fs.readFileSync(cap('p9-ftrace.txt'), 'utf8');
  // upper-case hex and leading zeros are valid but not what the kernel prints: the careful path reads them
  const odd = canon.replace(
    /GPR4-7=([^\n]+)/g,
    (_m, g: string) => 'GPR4-7=' + g.replace(/0x([0-9a-f]+)/g, (_x, d: string) => '0x0' + d.toUpperCase()),
  );
  assert.notEqual(odd, canon);
  const a = out();
  const b = out();
  importCaptures({ hcalls: cap('p9-ftrace.txt') }, a);
  importCaptures({ hcalls: write('odd-ftrace.txt', odd) }, b);
  const hc = (f: string) =>
    fs
      .readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('hcall '));
  assert.equal(hc(a).length, 7);
  assert.deepEqual(hc(b), hc(a));
});

test('bounded memory: a call whose exit never comes is given up after a window of later calls', () => {
  const lines: string[] = [];
  const sink = {
    bytes: (b: Uint8Array, s: number, e: number) => lines.push(Buffer.from(b.subarray(s, e)).toString('latin1')),
  };
  const p = new HcallPairer('w.txt', 'ftrace', sink, 4, 0);
  const ev = (t: number, v: number, what: string) =>
    Buffer.from(` CPU ${v}/KVM-1${v} [00${v}] .... 1.${String(t).padStart(6, '0')}: ${what}`, 'latin1');
  const feed = (b: Buffer, n: number) => p.lineBytes(b, 0, b.length, n);
  // vcpu 0 enters and never exits; vcpu 1 makes ten calls
  feed(ev(1, 0, 'kvm_hcall_enter: VCPU 0: hcall=H_READ GPR4-7=0x0,0x1,0x0,0x0'), 1);
  for (let k = 0; k < 10; k++) {
    feed(
      ev(10 + 2 * k, 1, `kvm_hcall_enter: VCPU 1: hcall=H_READ GPR4-7=0x0,0x${(k + 2).toString(16)},0x0,0x0`),
      2 + 2 * k,
    );
    feed(ev(11 + 2 * k, 1, 'kvm_hcall_exit: VCPU 1: ret=RESUME_GUEST hcall_rc=H_SUCCESS'), 3 + 2 * k);
  }
  // the stuck call was given up before the end, so output did not wait for it
  const before = lines.join('');
  assert.match(before, /^hcall @1\.000001 vcpu=0 H_READ 0x0 0x1 -> \? # no exit event on its VCPU/);
  assert.equal(before.split('\n').filter(Boolean).length, 11, 'all written before the end of the capture');
  p.end();
  assert.equal(lines.join('').split('\n').filter(Boolean).length, 11);
  assert.equal(p.stats.lostExits, 1);
});

test('every hcall name, resume kind and return code reads the same on the byte fast path and the careful path', () => {
  // lineBytes() takes the fast path where it can; line() is the careful path: the two must agree
  // on each name the fast path looks up by hash, and on the names it must pass on.
  const calls = ['H_ENTER', 'H_REMOVE', 'H_READ', 'H_PROTECT', 'H_BULK_REMOVE', 'H_CEDE', 'H_ENTE', 'H_READS'];
  const codes = [...RETURN_CODES.map((c) => c.name), 'H_LONG_BUSY_ORDER_1_MSEC', '0x1f', 'H_SUCCES'];
  const events: string[] = [];
  let t = 0;
  for (const resume of ['RESUME_GUEST', 'RESUME_GUEST_NV', 'RESUME_HOST', 'RESUME_HOST_NV'])
    for (const code of codes)
      for (const call of calls) {
        const v = t % 3;
        const ts = `7.${String(++t).padStart(6, '0')}`;
        events.push(
          ` qemu-${v}-1 [00${v}] .... ${ts}: kvm_hcall_enter: VCPU ${v}: hcall=${call} GPR4-7=0x0,0x${t.toString(16)},0x4001,0x190`,
        );
        events.push(` qemu-${v}-1 [00${v}] .... ${ts}: kvm_hcall_exit: VCPU ${v}: ret=${resume} hcall_rc=${code}`);
      }
  const run = (fast: boolean) => {
    const lines: string[] = [];
    const p = new HcallPairer('same.txt', 'ftrace', {
      bytes: (b: Uint8Array, s: number, e: number) => lines.push(Buffer.from(b.subarray(s, e)).toString('latin1')),
    });
    events.forEach((text, k) => {
      if (fast) {
        const b = Buffer.from(text, 'latin1');
        p.lineBytes(b, 0, b.length, k + 1);
      } else p.line(text, k + 1);
    });
    p.end();
    return { out: lines.join(''), stats: p.stats };
  };
  const fast = run(true);
  const careful = run(false);
  assert.equal(fast.out, careful.out);
  assert.deepEqual(fast.stats, careful.stats);
  // and the results are the names themselves, not a neighbour's
  for (const c of RETURN_CODES.filter((x) => x.name !== 'H_TOO_HARD'))
    assert.match(fast.out, new RegExp(`H_ENTER 0x0 0x[0-9a-f]+ 0x4001 0x190 -> ${c.name}\\n`));
  assert.equal(fast.stats.kept, 4 * codes.length * 5);
  assert.equal(fast.stats.others.get('H_CEDE'), 4 * codes.length);
});

test('finished lines reach the sink whole and in order whatever the stage size (lines longer than the stage too)', () => {
  const text = fs.readFileSync(cap('p9-ftrace.txt'), 'latin1').split('\n');
  const runWith = (stage: number) => {
    const chunks: string[] = [];
    const p = new HcallPairer(
      's.txt',
      'ftrace',
      {
        bytes: (b: Uint8Array, s: number, e: number) => chunks.push(Buffer.from(b.subarray(s, e)).toString('latin1')),
      },
      65536,
      stage,
    );
    text.forEach((t, k) => {
      const b = Buffer.from(t, 'latin1');
      p.lineBytes(b, 0, b.length, k + 1);
    });
    p.end();
    return chunks;
  };
  const whole = runWith(1 << 18);
  assert.equal(whole.length, 1, 'one stage for a small capture');
  assert.ok(whole[0].split('\n').filter(Boolean).length >= 7);
  for (const stage of [0, 40, 64, 100, 150]) {
    const chunks = runWith(stage);
    assert.equal(chunks.join(''), whole[0], `stage ${stage}`);
    assert.ok(chunks.length > 1, `stage ${stage} gives several pieces`);
  }
});

test('an input that is not a readable file: a FIFO, a device, no permission (exit 1), missing or a folder (exit 2); never read, never a hang', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-import-unreadable-'));
  try {
    const fifo = path.join(dir, 'events.fifo');
    execFileSync('mkfifo', [fifo]); // no writer: opening it would wait for ever
    const o = path.join(dir, 'out.hptrace');
    const good = cap('p9-ftrace.txt');
    const cases: [string[], number, string][] = [
      [['--hcalls', fifo], 1, `${fifo}: not a regular file`],
      [['--hcalls', '/dev/zero'], 1, '/dev/zero: not a regular file'],
      [['--hcalls', good, '--htab', '/dev/zero'], 1, '/dev/zero: not a regular file'],
      [['--hcalls', good, '--maps', fifo], 1, `${fifo}: not a regular file`],
      [
        ['--hcalls', path.join(dir, 'none.txt')],
        2,
        `hptrace import: --hcalls: ${path.join(dir, 'none.txt')}: no such file`,
      ],
      [['--hcalls', good, '--memslots', dir], 2, `hptrace import: --memslots: ${dir}: is a directory`],
    ];
    for (const [args, status, message] of cases) {
      const r = spawnNode([cli, 'import', ...args, '-o', o], { timeout: 20_000 });
      assert.equal(r.stderr.split('\n')[0], message, args.join(' '));
      assert.equal(r.status, status, args.join(' '));
      assert.equal(fs.existsSync(o), false, 'nothing written');
    }
    const secret = path.join(dir, 'secret.txt');
    fs.copyFileSync(good, secret);
    const as = unreadableToCli(dir, cli, secret);
    const r = spawnNode([as.cli, 'import', '--hcalls', secret, '-o', o], { timeout: 20_000, ...as.opts });
    assert.equal(r.stderr, `${secret}: cannot read (EACCES)\n`);
    assert.equal(r.status, 1);
    assert.equal(fs.existsSync(o), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
