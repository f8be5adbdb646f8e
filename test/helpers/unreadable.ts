/** A file this process's CLI children may not read, whoever runs the tests (root reads any file). */
import * as fs from 'fs';
import * as path from 'path';
import { SpawnNodeOptions } from './spawnNode';

/**
 * Makes `file` (in `dir`) unreadable to the CLI children run with what this returns. Not as root:
 * the file is chmod 000. As root, who reads any file: the file is left to root alone and the CLI runs
 * as nobody, from a copy in `dir` (the clone itself may sit where nobody cannot go, under /root say),
 * with copies there of the `readable` inputs it needs too; `dir` is opened to nobody for its output.
 */
export function unreadableToCli(
  dir: string,
  cli: string,
  file: string,
  readable: string[] = [],
): { cli: string; readable: string[]; opts: SpawnNodeOptions } {
  const root = process.getuid?.() === 0;
  fs.chmodSync(file, root ? 0o600 : 0o000);
  if (!root) return { cli, readable, opts: {} };
  fs.chmodSync(dir, 0o777);
  const copy = (f: string): string => {
    const to = path.join(dir, path.basename(f));
    fs.copyFileSync(f, to);
    fs.chmodSync(to, 0o644);
    return to;
  };
  return { cli: copy(cli), readable: readable.map(copy), opts: { uid: 65534, gid: 65534, cwd: dir } };
}
