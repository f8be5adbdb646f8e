/** Where the repository's own test data lives, found from the built test file (out/test/...) or the source. */
import * as fs from 'fs';
import * as path from 'path';

/** The repository root: the nearest folder above `from` with a package.json named hptrace. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'hptrace') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no hptrace package.json above ${from}`);
  }
}

export const ROOT = repoRoot();
/** The conformance cases: NAME.hptrace with NAME.expected.jsonl and NAME.pre-io.expected.jsonl. */
export const CONFORMANCE_DIR = path.join(ROOT, 'test', 'conformance');
export const FIXTURES_DIR = path.join(ROOT, 'test', 'fixtures');
