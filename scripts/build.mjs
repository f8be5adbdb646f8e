// One build for every entry point: the extension, the debug adapter, the CLI (dist/), and the tests (out/).
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';
import { generate as generateGrammar } from './gen-grammar.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const watch = process.argv.includes('--watch');

function walk(dir, pred, acc = []) {
  if (!fs.existsSync(dir)) return acc;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, pred, acc);
    else if (pred(p)) acc.push(p);
  }
  return acc;
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: root,
};

const products = [
  { in: 'src/extension/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
  { in: 'src/debug/debugAdapter.ts', out: 'dist/debugAdapter.js', external: ['vscode'] },
  { in: 'src/cli/cli.ts', out: 'dist/cli.js', external: [] },
  { in: 'src/extension/traceWorker.ts', out: 'dist/traceWorker.js', external: ['vscode'] },
].filter((p) => fs.existsSync(path.join(root, p.in)));

const tests = walk(path.join(root, 'test'), (p) => p.endsWith('.ts') && !p.endsWith('.d.ts')).map((p) =>
  path.relative(root, p),
);

const t0 = Date.now();
// Test bundles of moved or deleted test files must not linger (node --test would still run them).
if (!watch) fs.rmSync(path.join(root, 'out', 'test'), { recursive: true, force: true });
await generateGrammar(); // the grammar derives from src/core/bits.ts and is packaged
const builds = [
  ...products.map((p) => ({
    ...common,
    entryPoints: [p.in],
    outfile: p.out,
    external: p.external,
    banner: p.banner,
    minify: false,
  })),
  {
    ...common,
    entryPoints: tests,
    outdir: 'out/test',
    outbase: 'test',
    external: ['vscode', 'mocha', '@vscode/test-electron', 'playwright-core'],
  },
];
if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
  console.log('watching…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (fs.existsSync(path.join(root, 'dist/cli.js'))) fs.chmodSync(path.join(root, 'dist/cli.js'), 0o755);
  console.log(`built ${products.length} bundles and ${tests.length} test files in ${Date.now() - t0} ms`);
}
