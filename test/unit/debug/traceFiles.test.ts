/**
 * What the adapter reads before a launch: regular files that start like a trace, read through the one
 * line reader, refused with the CLI's messages and never quoted.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HEADER_SCAN_BYTES, hcallLinesOf, notATrace } from '../../../src/debug/traceFiles';

const MB = 1024 * 1024;
const HEADER = 'expected the header "hptrace 1" or "hptrace 2" as the first record';

function withDir(fn: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-files-'));
  try {
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('only regular files whose first record is the hptrace header are traces; the rest are refused as FILE: why', () => {
  withDir((dir) => {
    const t = path.join(dir, 'a.hptrace');
    fs.writeFileSync(t, '# a comment\n\n  hptrace 1\ncpu power7\n');
    assert.equal(notATrace(t), undefined);
    fs.writeFileSync(t, '\r\n\thptrace 2 # v2\r\n');
    assert.equal(notATrace(t), undefined);
    assert.equal(notATrace(dir), `${dir}: is a directory`);
    assert.equal(notATrace(path.join(dir, 'missing')), `${path.join(dir, 'missing')}: no such file`);
    assert.equal(notATrace(path.join(t, 'below-a-file')), `${path.join(t, 'below-a-file')}: no such file`);
    if (fs.existsSync('/dev/zero')) assert.equal(notATrace('/dev/zero'), '/dev/zero: not a regular file');
  });
});

test("a file that is not a trace gets the parser's positioned header error, without what it found", () => {
  withDir((dir) => {
    const n = path.join(dir, 'notes.txt');
    fs.writeFileSync(n, 'secret: hptrace 1\n');
    assert.equal(notATrace(n), `${n}:1:1: ${HEADER}`);
    fs.writeFileSync(n, '# the notes\n\n   hptraces 1 secret\n');
    assert.equal(notATrace(n), `${n}:3:4: ${HEADER}`);
    fs.writeFileSync(n, '');
    assert.equal(notATrace(n), `${n}:1:1: empty trace: expected the header "hptrace 1" or "hptrace 2"`);
    fs.writeFileSync(n, '# only a comment\n\n');
    assert.equal(notATrace(n), `${n}:1:1: empty trace: expected the header "hptrace 1" or "hptrace 2"`);
    // The header is looked for in the first 64 KiB only.
    fs.writeFileSync(n, '#'.repeat(HEADER_SCAN_BYTES) + '\nhptrace 1\n');
    assert.equal(notATrace(n), `${n}: ${HEADER}, within the first 64 KiB (only blank and comment lines there)`);
    fs.writeFileSync(n, '#'.repeat(HEADER_SCAN_BYTES - 20) + '\nhptrace 1\n');
    assert.equal(notATrace(n), undefined);
  });
});

test('a FIFO is refused at once, without opening it (no writer: an open would wait for ever)', () => {
  withDir((dir) => {
    const fifo = path.join(dir, 'pipe');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      return; // no mkfifo here
    }
    assert.equal(notATrace(fifo), `${fifo}: not a regular file`);
  });
});

test('a huge first line is not read past the first 64 KiB', () => {
  withDir((dir) => {
    const f = path.join(dir, 'huge.hptrace');
    fs.writeFileSync(f, 'x');
    fs.truncateSync(f, 4096 * MB); // 4 GiB of one sparse line
    // Count the bytes read: the module object every src file's `fs` is (a bundle's import reads it).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeFs = require('fs') as { readSync: typeof fs.readSync };
    const read = nodeFs.readSync;
    let bytes = 0;
    nodeFs.readSync = ((...args: Parameters<typeof read>) => {
      const n = read(...args);
      bytes += n;
      return n;
    }) as typeof read;
    try {
      // Counted as one over-long line, it would be "line is longer than … characters" after 1 GiB.
      assert.equal(notATrace(f), `${f}:1:1: ${HEADER}`);
    } finally {
      nodeFs.readSync = read;
    }
    assert.ok(bytes > 0 && bytes <= HEADER_SCAN_BYTES, `${bytes} bytes read`);
  });
});

test('hcall lines are found across read boundaries, after huge lines and with CRLF', () => {
  withDir((dir) => {
    const f = path.join(dir, 'b.hptrace');
    // Line 3 starts 3 bytes before the 1 MiB read boundary, so "hcall" straddles it.
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

test('an over-long line is no hcall record (the parser refuses it), and the lines after it are read on', () => {
  withDir((dir) => {
    const f = path.join(dir, 'c.hptrace');
    // Over 65,536 characters: an error, not a record; one the reader streams past, one it holds whole.
    const streamed = 'hcall H_ENTER ' + '0'.repeat(3 * MB);
    const whole = 'hcall H_ENTER ' + '€'.repeat(30000); // 90,014 bytes, 30,014 characters: a record
    const over = 'hcall H_ENTER ' + '0'.repeat(70000);
    const lines = ['hptrace 1', streamed, 'hcall H_READ 0x0 0x1', whole, over, '\thcall#x', ' hcall\tH_READ'];
    fs.writeFileSync(f, lines.join('\n'));
    assert.deepEqual([...hcallLinesOf(f, [1, 2, 3, 4, 5, 6, 7])].sort(), [3, 4, 6, 7]);
  });
});
