#!/usr/bin/env node
/** Entry point of the `hptrace` bin (bundled to dist/cli.js). */
import * as fs from 'fs';
import { main } from './main';

function write(fd: number, s: string): void {
  // Synchronous writes keep output ordered and complete when the process exits right after.
  try {
    fs.writeSync(fd, s);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
      // A non-blocking pipe is full: retry until the reader catches up.
      for (;;) {
        try {
          fs.writeSync(fd, s);
          return;
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code !== 'EAGAIN') throw e2;
        }
      }
    }
    throw e;
  }
}

/** All of b to fd, across partial writes and a full non-blocking pipe. */
function writeBytes(fd: number, b: Uint8Array): void {
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off, b.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(0);
      if (code !== 'EAGAIN') throw e;
    }
  }
}

function internal(e: unknown): void {
  process.stderr.write(`hptrace: internal error: ${(e as Error).message}\n`);
  process.exitCode = 3;
}

try {
  const code = main(process.argv.slice(2), {
    out: (s) => write(1, s),
    err: (s) => write(2, s),
    outBytes: (b) => writeBytes(1, b),
  });
  if (typeof code === 'number') process.exitCode = code;
  else
    code.then((c) => {
      process.exitCode = c;
    }, internal);
} catch (e) {
  internal(e);
}
