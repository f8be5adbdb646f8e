/** A tiny run of the import bench (scripts/bench-import.mjs), so that it cannot rot: figures printed and numeric. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../../helpers/paths';
import { spawnNode } from '../../helpers/spawnNode';

// a real dynamic import (the test bundle is CommonJS; the bench is an ES module)
const importEsm = new Function('u', 'return import(u)') as (u: string) => Promise<Record<string, unknown>>;

test('import bench smoke run: capture generated, imported, four figures', { timeout: 120_000 }, async () => {
  const mod = await importEsm(pathToFileURL(path.join(ROOT, 'scripts', 'bench-import.mjs')).href);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-bench-import-'));
  const figures = new Map<string, string>();
  const timeNode = (args: string[]) => {
    const t0 = process.hrtime.bigint();
    const r = spawnNode(args);
    assert.equal(r.status, 0, r.stderr);
    return { secs: Number(process.hrtime.bigint() - t0) / 1e9, rss: 1 };
  };
  const benchImport = mod.benchImport as (ctx: unknown) => Promise<{ ratio: number }>;
  const r = await benchImport({
    root: ROOT,
    cache,
    runs: 1,
    events: 4000,
    note: () => undefined,
    figure: (n: string, v: string) => figures.set(n, v),
    timeNode,
  });
  assert.deepEqual([...figures.keys()], ['import_floor_s_4k', 'import_s_4k', 'import_ratio_4k', 'import_rss_mb_4k']);
  for (const v of figures.values()) assert.match(v, /^\d+(\.\d+)?$/);
  assert.ok(r.ratio > 0);
  // the generated capture is a valid hcall capture: 4000 events, about half of them enters
  const capture = fs.readdirSync(cache).find((f) => f.startsWith('capture-4000'))!;
  const lines = fs
    .readFileSync(path.join(cache, capture), 'utf8')
    .split('\n')
    .filter((l) => l.includes('kvm_hcall_'));
  assert.equal(lines.length, 4000);
});
