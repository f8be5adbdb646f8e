/** What the adapter reads before a launch: regular files that start like a trace, scanned in chunks. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hcallLinesOf, notATrace, startsWithHeader } from '../../../src/debug/traceFiles';

const MB = 1024 * 1024;

function withDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-files-'));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('only regular files that start with the hptrace header are traces', () => {
  withDir((dir) => {
    const t = path.join(dir, 'a.hptrace');
    fs.writeFileSync(t, '# a comment\n\n  hptrace 1\ncpu power7\n');
    assert.equal(notATrace(t), undefined);
    const n = path.join(dir, 'notes.txt');
    fs.writeFileSync(n, 'secret: hptrace 1\n');
    assert.equal(notATrace(n), 'it does not start with the header "hptrace 1"');
    fs.writeFileSync(n, '');
    assert.equal(notATrace(n), 'it does not start with the header "hptrace 1"');
    assert.equal(notATrace(dir), 'it is a directory');
    assert.equal(notATrace(path.join(dir, 'missing')), 'cannot open it');
    if (fs.existsSync('/dev/zero')) assert.equal(notATrace('/dev/zero'), 'it is not a regular file');
  });
  assert.equal(startsWithHeader('hptrace\n'), true);
  assert.equal(startsWithHeader('hptraces 1\n'), false);
  assert.equal(startsWithHeader('# only comments\n'), false);
});

test('hcall lines are found across chunk boundaries, after huge lines and with CRLF', () => {
  withDir((dir) => {
    const f = path.join(dir, 'b.hptrace');
    // Line 3 starts 3 bytes before the 1 MiB chunk boundary, so "hcall" straddles it.
    const line2 = '#' + 'x'.repeat(MB - 14 - 1);
    const huge = '#' + 'y'.repeat(3 * MB);
    const text = ['hptrace 1', line2, 'hcall H_ENTER', huge, '  hcall H_REMOVE\r', 'hcallx', 'vma 0x0'].join('\n');
    fs.writeFileSync(f, text);
    assert.equal(Buffer.byteLength('hptrace 1\n' + line2 + '\n'), MB - 3);
    assert.deepEqual([...hcallLinesOf(f, [1, 2, 3, 4, 5, 6, 7, 99])].sort(), [3, 5]);
    assert.deepEqual([...hcallLinesOf(f, [3])], [3]);
    assert.deepEqual([...hcallLinesOf(f, [0, -1, 1.5])], []);
    fs.writeFileSync(f, 'hptrace 1\nhcall H_READ');
    assert.deepEqual([...hcallLinesOf(f, [2])], [2], 'a last line without a newline');
  });
});
