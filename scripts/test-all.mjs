// `npm test`: every tier, one after another, then one summary line `N passed, N failed`.
//   1. unit + DAP tests (node's test runner) over the built out/test/unit and out/test/dap: a dot
//      per test on screen, the full spec report in test-artifacts/unit.log (its failures are
//      printed when the tier fails)
//   2. end-to-end: the extension-host suite and the UI phase in two real VS Code versions
//      (code-server + chromium; scripts/e2e/run.mjs), first use installs them (a line per step)
// HPTRACE_SKIP_E2E=1 skips tier 2 (for quick local runs; CI runs everything).
// HPTRACE_TEST_VERBOSE=1 prints the unit tier's full spec report instead of dots.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

function runTier(name, cmd, args, parse) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    console.log(`\n=== tier: ${name} ===`);
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let text = '';
    const tee = (s, out) => (d) => {
      text += d;
      out.write(d);
    };
    child.stdout.on('data', tee(text, process.stdout));
    child.stderr.on('data', tee(text, process.stderr));
    child.on('close', (code) => {
      const counts = parse(text);
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      // A tier that fails without reporting counts (crash, install failure) counts as one failure.
      if (code !== 0 && counts.failed === 0) counts.failed = 1;
      resolve({ name, code, secs, ...counts });
    });
  });
}

const nodeCounts = (t) => ({
  passed: Number(/^(?:ℹ|#) pass (\d+)/m.exec(t)?.[1] ?? 0),
  failed: Number(/^(?:ℹ|#) fail (\d+)/m.exec(t)?.[1] ?? 0),
});
const mochaCounts = (t) => ({
  passed: [...t.matchAll(/(\d+) passing/g)].reduce((a, m) => a + Number(m[1]), 0),
  failed: [...t.matchAll(/(\d+) failing/g)].reduce((a, m) => a + Number(m[1]), 0),
});

const tiers = [];
const unitDirs = ['out/test/unit', 'out/test/dap'].filter((d) => fs.existsSync(path.join(root, d)));
const unitLog = path.join(root, 'test-artifacts', 'unit.log');
fs.mkdirSync(path.dirname(unitLog), { recursive: true });
const verbose = process.env.HPTRACE_TEST_VERBOSE === '1';
const unit = await runTier(
  'unit + DAP',
  process.execPath,
  [
    '--test',
    ...(verbose ? ['--test-reporter=spec'] : ['--test-reporter=dot', '--test-reporter-destination=stdout']),
    '--test-reporter=spec',
    `--test-reporter-destination=${unitLog}`,
    ...unitDirs,
  ],
  // the counts come from the spec report in the log file
  () => nodeCounts(fs.existsSync(unitLog) ? fs.readFileSync(unitLog, 'utf8') : ''),
);
tiers.push(unit);
if (unit.code !== 0 && !verbose) {
  // the failures, from the spec report: its "failing tests" section
  const text = fs.readFileSync(unitLog, 'utf8');
  const at = text.search(/^✖ failing tests:/m);
  console.log(at >= 0 ? text.slice(at) : text.split('\n').slice(-80).join('\n'));
  console.log(`(full report: ${path.relative(process.cwd(), unitLog)})`);
}
if (process.env.HPTRACE_SKIP_E2E === '1') console.log('\n=== tier: end-to-end skipped (HPTRACE_SKIP_E2E=1) ===');
else if (!fs.existsSync(path.join(root, 'scripts/e2e/run.mjs'))) console.log('\n=== tier: end-to-end not present ===');
else
  tiers.push(
    await runTier('end-to-end (code-server + chromium)', process.execPath, ['scripts/e2e/run.mjs'], mochaCounts),
  );

console.log('\n=== summary ===');
for (const t of tiers) console.log(`${t.name}: ${t.passed} passed, ${t.failed} failed, exit ${t.code}, ${t.secs} s`);
const passed = tiers.reduce((a, t) => a + t.passed, 0);
const failed = tiers.reduce((a, t) => a + t.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || tiers.some((t) => t.code !== 0) ? 1 : 0);
