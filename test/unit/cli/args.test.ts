/** The CLI's arguments (util.parseArgs, a help text per command) and what it reads and refuses. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMANDS, usageLine } from '../../../src/cli/main';
import { CONFORMANCE_DIR, ROOT } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';
import { unreadableToCli } from '../../helpers/unreadable';

const cli = path.join(ROOT, 'dist', 'cli.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-args-'));
const ioBar = path.join(CONFORMANCE_DIR, 'io-bar.hptrace');

function run(args: string[], nodeArgs: string[] = []) {
  return spawnNode([...nodeArgs, cli, ...args]);
}

test('hptrace --help lists every command with its usage line', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  for (const c of ['replay FILE', 'diff FILE', 'decode VALUE']) assert.match(r.stdout, new RegExp(`hptrace ${c}`));
  assert.match(r.stdout, /hptrace COMMAND --help/);
});

for (const [cmd, option] of [
  ['replay', '--kernel io|pre-io'],
  ['diff', '-h, --help'],
  ['decode', '--page 4K|64K'],
]) {
  test(`hptrace ${cmd} --help (and -h, and help ${cmd}) prints the command's own help, exit 0`, () => {
    for (const args of [
      [cmd, '--help'],
      [cmd, '-h'],
      ['help', cmd],
      [cmd, 'x', '--help'],
    ]) {
      const r = run(args);
      assert.equal(r.status, 0, args.join(' '));
      assert.ok(r.stdout.startsWith(`hptrace ${cmd} `), r.stdout);
      assert.ok(r.stdout.includes(option));
      assert.equal(r.stderr, '');
    }
  });
}

test('unknown options, missing values and values given to flags are usage errors naming the option (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['replay', ioBar, '--frobnicate'], /^hptrace replay: unknown option --frobnicate\nusage: hptrace replay FILE/],
    [['replay', ioBar, '-x'], /^hptrace replay: unknown option -x\n/],
    [['replay', ioBar, '--kernel'], /^hptrace replay: --kernel needs a value\n/],
    [['replay', ioBar, '--json=yes'], /^hptrace replay: --json takes no value\n/],
    [['replay', ioBar, '--kernel', 'v2'], /^hptrace replay: --kernel must be one of io, pre-io\n/],
    [['replay', ioBar, ioBar], /^hptrace replay: replay takes exactly one FILE\n/],
    [['diff', ioBar, '--quiet'], /^hptrace diff: unknown option --quiet\n/],
    [['decode', '0x1', '--as', 'q'], /^hptrace decode: --as must be v, r or slot_phys\n/],
    [['decode', '0x1', '--page'], /^hptrace decode: --page needs a value\n/],
    [['frobnicate'], /^hptrace: unknown command frobnicate\nusage:\n/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('options are accepted in either order and as --name=value; -- ends the options', () => {
  const a = run(['replay', ioBar, '--kernel', 'pre-io', '--quiet']);
  const b = run(['replay', '--quiet', `--kernel=pre-io`, ioBar]);
  const c = run(['replay', '--quiet', '--kernel=pre-io', '--', ioBar]);
  assert.equal(a.status, 0);
  assert.equal(b.stdout, a.stdout);
  assert.equal(c.stdout, a.stdout);
  assert.match(a.stdout, /hcalls replayed with kernel pre-io/);
});

test('every command that reads a trace refuses /dev/zero with exit 1 at once', () => {
  for (const c of COMMANDS) {
    if (!/^hptrace \w+ FILE\b/.test(usageLine(c))) continue;
    const extra = c.name === 'state' ? ['--at', '3'] : c.name === 'compare' ? ['--from', '1', '--to', '3'] : [];
    const r = spawnNode([cli, c.name, '/dev/zero', ...extra], { timeout: 20000 });
    assert.equal(r.status, 1, `${c.name}: ${r.stderr}`);
    assert.equal(r.stderr, '/dev/zero: not a regular file\n', c.name);
  }
});

test('a FILE that is not a regular file is refused with exit 1 and a plain message, without reading it', () => {
  const r = spawnNode([cli, 'replay', '/dev/zero'], { timeout: 20000 });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, '/dev/zero: not a regular file\n');
  const d = spawnNode([cli, 'diff', '/dev/null'], { timeout: 20000 });
  assert.equal(d.status, 1);
  assert.equal(d.stderr, '/dev/null: not a regular file\n');
});

test('replay --check-htab DUMP is checked as every input is: a missing DUMP or a directory exit 2, /dev/zero exit 1', () => {
  const missing = path.join(tmp, 'no-such-dump.txt');
  const cases: [string, number, string][] = [
    [missing, 2, `${missing}: no such file`],
    [tmp, 2, `${tmp}: is a directory`],
    ['/dev/zero', 1, '/dev/zero: not a regular file'],
  ];
  for (const [dump, status, message] of cases) {
    const r = spawnNode([cli, 'replay', ioBar, '--check-htab', dump], { timeout: 20000 });
    assert.equal(r.status, status, `${dump}: ${r.stderr}`);
    assert.equal(r.stdout, '', dump);
    if (status === 2) assert.match(r.stderr, /\nusage: hptrace replay FILE/, dump);
    // The same as for the trace FILE itself: one check, one message.
    const asFile = spawnNode([cli, 'replay', dump], { timeout: 20000 });
    assert.equal(asFile.status, status, dump);
    assert.equal(r.stderr, asFile.stderr, dump);
    assert.equal(r.stderr.split('\n')[0], status === 2 ? `hptrace replay: ${message}` : message, dump);
  }
  const empty = run(['replay', ioBar, '--check-htab=']);
  assert.equal(empty.status, 2);
  assert.match(empty.stderr, /^hptrace replay: missing DUMP\nusage: /);
});

test('a FILE or DUMP this process may not read: exit 1, FILE: cannot read (EACCES), not an internal error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-args-perm-'));
  try {
    const f = path.join(dir, 'secret.hptrace');
    fs.writeFileSync(f, fs.readFileSync(ioBar));
    const as = unreadableToCli(dir, cli, f, [ioBar]);
    for (const args of [
      ['replay', f],
      ['replay', as.readable[0], '--check-htab', f],
    ]) {
      const r = spawnNode([as.cli, ...args], { timeout: 20000, ...as.opts });
      assert.equal(r.stderr, `${f}: cannot read (EACCES)\n`, args.join(' '));
      assert.equal(r.status, 1, args.join(' '));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a 100 MB line is counted while it streams: positioned error, exit 1, memory stays small', () => {
  const f = path.join(tmp, 'long.hptrace');
  fs.writeFileSync(f, 'hptrace 1\n');
  fs.truncateSync(f, 10 + 100 * 1024 * 1024); // a sparse file: 100 MiB of NUL bytes and no line break
  const hook = path.join(tmp, 'rss.cjs');
  fs.writeFileSync(
    hook,
    "process.on('exit', () => require('fs').writeSync(2, 'maxrss ' + process.resourceUsage().maxRSS + '\\n'));",
  );
  const r = run(['replay', f], ['--require', hook]);
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `^${f.replace(/[.]/g, '\\.')}:2:65537: line is ${100 * 1024 * 1024} characters long \\(limit 65536\\)\n`,
    ),
  );
  const rssKb = Number(/maxrss (\d+)/.exec(r.stderr)?.[1]);
  // Buffering the line (as before) costs well over 200 MB; the reader keeps one 1 MiB buffer.
  assert.ok(rssKb > 0 && rssKb < 150 * 1024, `peak RSS ${rssKb} kB`);
});

test('memslot and vma addresses at or above 2^53 replay as the same machine as low ones', () => {
  const text = fs.readFileSync(ioBar, 'utf8');
  // 0x7fff00000000 -> 0xfff07fff00000000 and so on: every vma and memslot address moves above 2^53.
  const high = text.replaceAll('0x7fff', '0xfff07fff').replaceAll('0x3fff8', '0xc0003fff8');
  assert.notEqual(high, text);
  const f = path.join(tmp, 'high.hptrace');
  fs.writeFileSync(f, high);
  const a = run(['replay', ioBar, '--json']);
  const b = run(['replay', f, '--json']);
  assert.equal(b.stderr, '');
  assert.equal(b.status, 0);
  const hcalls = (s: string) => s.split('\n').filter((l) => l.includes('"hcall"'));
  assert.ok(hcalls(a.stdout).length > 5);
  assert.deepEqual(hcalls(b.stdout), hcalls(a.stdout));
  assert.match(high, /hva=0xfff07fff00000000/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('every command of the table has a help text that starts with its usage, listed by hptrace --help', async () => {
  const { main } = await import('../../../src/cli/main');
  const capture = async (args: string[]) => {
    let out = '';
    const code = await main(args, { out: (s) => void (out += s), err: (s) => void (out += s) });
    return { code, out };
  };
  const top = await capture(['--help']);
  assert.equal(top.code, 0);
  assert.ok(COMMANDS.length >= 3);
  for (const c of COMMANDS) {
    const first = usageLine(c);
    assert.ok(first.startsWith(`hptrace ${c.name}`), first);
    assert.ok(top.out.includes(first), `hptrace --help lists ${c.name}`);
    const h = await capture([c.name, '--help']);
    assert.equal(h.code, 0);
    assert.equal(h.out, c.help + '\n');
    const bad = await capture([c.name, '--no-such-option']);
    assert.equal(bad.code, 2, c.name);
    assert.match(bad.out, /unknown option '?--no-such-option/i, c.name);
  }
});
