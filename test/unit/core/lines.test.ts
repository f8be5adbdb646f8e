/** The one line reader (src/core/lines.ts): bounded memory, one message for an over-long line everywhere. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { ByteLines, firstSyntaxError, forEachLineBytes, LineKind, Utf16Counter } from '../../../src/core/lines';
import { Engine } from '../../../src/core/engine';
import { newParserState, parseAll, parseLine } from '../../../src/core/parser';
import { TraceError } from '../../../src/core/records';
import { replayFile } from '../../../src/cli/main';
import { checkHtab } from '../../../src/import/checkHtab';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-lines-'));
let k = 0;
function write(text: string | Buffer): string {
  const p = path.join(dir, `t${k++}.hptrace`);
  fs.writeFileSync(p, text);
  return p;
}

/** The first error the engine (the debugger's reader) finds in a file. */
function engineError(file: string): TraceError | null {
  const e = new Engine(file);
  try {
    while (e.explore());
    return e.error;
  } finally {
    e.close();
  }
}

/** The first error of the CLI's way of reading: forEachLineBytes, each line parsed. */
function strictError(file: string): TraceError | null {
  const st = newParserState(file);
  try {
    forEachLineBytes(file, (b, s, e, n) => void parseLine(st, n, b.toString('utf8', s, e)));
  } catch (e) {
    if (e instanceof TraceError) return e;
    throw e;
  }
  return null;
}

test('Utf16Counter counts what the UTF-8 decoder yields, fed in any pieces', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(64), { maxLength: 4 }), (bytes, cuts) => {
      const c = new Utf16Counter();
      const points = [...new Set(cuts.map((x) => Math.min(x, bytes.length)))].sort((a, b) => a - b);
      let from = 0;
      for (const p of [...points, bytes.length]) {
        c.feed(bytes, from, p);
        from = p;
      }
      assert.equal(c.finish(), Buffer.from(bytes).toString('utf8').length);
    }),
    { seed: 11, numRuns: 3000 },
  );
  // the interesting sequences by name: surrogate pairs, truncated and overlong forms, lone continuations
  for (const b of [
    [0xf0, 0x9f, 0x98, 0x80],
    [0xe0, 0x80],
    [0xed, 0xa0, 0x80],
    [0x80, 0x80],
    [0xf4, 0x90],
    [0xc0, 0xaf],
  ]) {
    const c = new Utf16Counter();
    c.feed(Uint8Array.from(b), 0, b.length);
    assert.equal(c.finish(), Buffer.from(b).toString('utf8').length, JSON.stringify(b));
  }
});

test('a 2,000,000-character line: the CLI reader, the engine and the editor parser give one message', () => {
  const long = 'hcall H_READ ' + 'é'.repeat(1_000_000) + 'x'.repeat(1_000_000 - 13);
  const text = 'hptrace 1\n# ok\n' + long + '\r\nhcall H_READ 0 0\n';
  const f = write(text);
  const want = `${f}:3:65537: line is 2000000 characters long (limit 65536)`;
  assert.equal(strictError(f)?.message, want);
  assert.equal(engineError(f)?.message, want); // said "1048576 characters long" before the shared reader
  assert.equal(firstSyntaxError(f)?.message, want);
  assert.equal(parseAll(text, f).errors[0]?.message, want);
});

test('a line just within the limit in 3-byte characters is read whole; one more character is refused', () => {
  const ok = 'hptrace 1\n#' + '€'.repeat(65535) + '\r\n';
  assert.equal(strictError(write(ok)), null);
  assert.equal(engineError(write(ok)), null);
  const bad = 'hptrace 1\n#' + '€'.repeat(65536) + '\n';
  const f = write(bad);
  const want = `${f}:2:65537: line is 65537 characters long (limit 65536)`;
  assert.equal(strictError(f)?.message, want);
  assert.equal(parseAll(bad, f).errors[0]?.message, want);
});

test('an over-long line is counted, not buffered: the read buffer never grows', () => {
  const f = write(Buffer.concat([Buffer.from('hptrace 1\n'), Buffer.alloc(8 << 20, 0x61), Buffer.from('\nnext\n')]));
  const fd = fs.openSync(f, 'r');
  try {
    const r = new ByteLines(fd, { chunk: 65536 });
    const size = r.buf.length;
    assert.equal(r.next(), LineKind.Line);
    assert.equal(r.next(), LineKind.TooLong);
    assert.equal(r.tooLong, 8 << 20);
    assert.equal(r.lineNo, 2);
    assert.equal(r.buf.length, size);
    assert.equal(r.next(), LineKind.Line);
    assert.equal(r.buf.toString('utf8', r.start, r.end), 'next');
    assert.equal(r.lineNo, 3);
    assert.equal(r.offset, 10 + (8 << 20) + 1);
    assert.equal(r.next(), LineKind.End);
  } finally {
    fs.closeSync(fd);
  }
});

test('offsets and numbers from ByteLines match the text, for any chunk size', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('\r', '€', '😀', '')), { maxLength: 20 }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
      (lines, chunk, crlf) => {
        const text = lines.map((l) => l.replace(/\n/g, ' ')).join(crlf ? '\r\n' : '\n');
        const f = write(text);
        const fd = fs.openSync(f, 'r');
        try {
          const r = new ByteLines(fd, { chunk });
          const want = text.length ? text.split('\n') : [];
          if (want.length && want[want.length - 1] === '') want.pop();
          let n = 0;
          let offset = 0;
          while (r.next() === LineKind.Line) {
            const w = want[n];
            const stripped = w.endsWith('\r') ? w.slice(0, -1) : w;
            assert.equal(r.buf.toString('utf8', r.start, r.end), stripped);
            assert.equal(r.offset, offset);
            assert.equal(r.lineNo, ++n);
            offset += Buffer.byteLength(w) + 1;
          }
          assert.equal(n, want.length);
        } finally {
          fs.closeSync(fd);
          fs.rmSync(f);
        }
      },
    ),
    { seed: 5, numRuns: 300 },
  );
});

test('addresses at or above 2^53 are 64-bit values: exact when page-aligned, refused with a position otherwise', () => {
  const st = newParserState('a.hptrace');
  parseLine(st, 1, 'hptrace 1');
  const v = parseLine(st, 2, 'vma 0xfff0000000000000-0xfff0000010000000 anon page=16M');
  assert.ok(v && v.kind === 'vma');
  assert.equal(v.start, 0xfff0000000000000);
  assert.equal(v.end - v.start, 0x10000000);
  const m = parseLine(st, 3, 'memslot 0 gpa=0x0 size=256M hva=0xfff0000000000000');
  assert.ok(m && m.kind === 'memslot');
  assert.equal(m.hva, 2 ** 64 - 2 ** 52);
  assert.throws(
    () => parseLine(st, 4, 'vma 0xfff0000000000001-0xfff0000010000000 other'),
    (e: TraceError) =>
      e.line === 4 && e.col === 5 && /range start: "0xfff0000000000001" is not aligned to a host page/.test(e.detail),
  );
  assert.throws(
    () => parseLine(st, 5, 'memslot 1 gpa=0x0 size=0x10000 hva=0x10000000000000000'),
    (e: TraceError) => /does not fit in 64 bits/.test(e.detail),
  );
});

test('vma other with a field names the field instead of an empty list', () => {
  const st = newParserState('a.hptrace');
  parseLine(st, 1, 'hptrace 1');
  assert.throws(
    () => parseLine(st, 2, 'vma 0x0-0x10000 other page=64K'),
    (e: TraceError) => e.col === 23 && e.detail === 'vma other: takes no fields, found "page=64K"',
  );
});

test('only regular files are read: /dev/zero is refused at once by every reader, not read for ever', () => {
  assert.throws(
    () => forEachLineBytes('/dev/zero', () => {}),
    /^NotRegularFileError: \/dev\/zero: not a regular file$/,
  );
  assert.throws(() => new Engine('/dev/zero'), /\/dev\/zero: not a regular file/);
  assert.throws(() => firstSyntaxError('/dev/zero'), /not a regular file/);
});

test('endOffset reads a file as if it ended there; skipTooLong passes over a line too long to buffer', () => {
  const long = 3 * 1024 * 1024; // longer than the reader's buffer: streamed and counted, never held
  const f = write('one\ntwo\nthree\n' + 'x'.repeat(long) + '\nfour');
  const seen = (opts: Parameters<typeof forEachLineBytes>[2]) => {
    const got: string[] = [];
    forEachLineBytes(f, (b, s, e, n) => void got.push(`${n}:${b.toString('utf8', s, e)}`), opts);
    return got;
  };
  for (const chunk of [1, 3, 1 << 20]) {
    assert.deepEqual(seen({ chunk, endOffset: 6 }), ['1:one', '2:tw']);
    assert.deepEqual(seen({ chunk, endOffset: 8 }), ['1:one', '2:two']);
    assert.deepEqual(seen({ chunk, endOffset: 0 }), []);
  }
  for (const chunk of [65536, 1 << 20]) {
    assert.deepEqual(seen({ chunk, skipTooLong: true }), ['1:one', '2:two', '3:three', '5:four']);
    assert.throws(() => seen({ chunk }), new RegExp(`:4:65537: line is ${long} characters long`));
  }
});

test('a file with no record gets one message from every reader: CLI, engine, editor, --check-htab', () => {
  const want = 'empty trace: expected the header "hptrace 1" or "hptrace 2"';
  for (const text of ['', '\n  \n# only a comment\n']) {
    const f = write(text);
    const errors: (TraceError | null | undefined)[] = [
      firstSyntaxError(f),
      engineError(f),
      parseAll(text, f).errors[0],
      (() => {
        try {
          replayFile(f, 'io', false, () => {});
        } catch (e) {
          return e as TraceError;
        }
      })(),
      (() => {
        try {
          checkHtab(f, f);
        } catch (e) {
          return e as TraceError;
        }
      })(),
    ];
    for (const e of errors) assert.equal(e?.message, `${f}:1:1: ${want}`);
  }
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
