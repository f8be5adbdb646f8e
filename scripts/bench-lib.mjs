// What the bench scripts share: the median, and the cache of generated traces (scripts/gen.mjs
// output, keyed by its hash, so a changed generator makes new traces).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Where generated traces are cached: $HPTRACE_BENCH_CACHE, else ~/.cache/hptrace-bench. */
export const defaultBenchCache = () =>
  process.env.HPTRACE_BENCH_CACHE || path.join(os.homedir(), '.cache', 'hptrace-bench');

/**
 * The cached trace of n hcalls from scripts/gen.mjs with `seed`, generated on first use (into a
 * temporary file, renamed when complete); `onGenerate(file)` is told before a generation starts.
 */
export function cachedTrace(root, cache, n, seed, onGenerate) {
  const genPath = path.join(root, 'scripts', 'gen.mjs');
  const genHash = createHash('sha256').update(fs.readFileSync(genPath)).digest('hex').slice(0, 10);
  const file = path.join(cache, `trace-${n}-s${seed}-${genHash}.hptrace`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(cache, { recursive: true });
    onGenerate?.(file);
    const tmp = `${file}.${process.pid}.tmp`;
    const r = spawnSync(process.execPath, [genPath, '--hcalls', String(n), '--seed', String(seed), '--out', tmp], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`gen.mjs failed (exit ${r.status})`);
    fs.renameSync(tmp, file);
  }
  return file;
}
