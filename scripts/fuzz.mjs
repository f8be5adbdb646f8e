#!/usr/bin/env node
// `npm run fuzz -- --minutes N [--seed S] [--only traces|dap]`: the fuzzing tier, run long.
//
// Two halves run side by side, each in its own process, for N minutes (default 1):
//   traces  generated trace files (mutations of test/conformance, examples and test/fixtures traces:
//           byte flips, cut and inserted bytes, dropped, duplicated and swapped lines, swapped tokens,
//           huge numbers, long lines, CRLF, binary; and records written from the grammar). Oracle: the
//           CLI exits 0/1/2 with one `FILE:LINE:COL: message` line for 1 and no stack trace; the strict
//           parser, the editor's collecting parser, the debugger's engine and the editor model agree
//           on validity and on the first error; no unclear message.
//   dap     random DAP sessions against `node dist/debugAdapter.js` over stdio (every request kind,
//           bogus ids and arguments, odd expressions, requests before launch, disconnect mid-run).
//           Oracle: exactly one response per request within 5 s, the adapter never exits, RSS < 1 GB.
// The generators and oracles are test/unit/fuzz/traceFuzz.ts and dapFuzz.ts (built to out/ by
// `npm run build`); `npm test` runs a short fixed-seed pass of both (test/unit/fuzz/*.test.ts).
//
// After a failure fast-check shrinks the input to a minimal one, saved to test-artifacts/fuzz/
// (NAME.hptrace + NAME.txt, or NAME.json for a DAP sequence with the launched NAME.hptrace); the run
// then goes on with the next seed. Prints the figures at the end; exit 1 when anything failed.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return dflt;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
};
const minutes = Number(opt('minutes', '1'));
const seed = Number(opt('seed', String(Date.now() % 1e9)));
const only = opt('only', '');
const part = opt('part', '');
const saveDir = path.join(root, 'test-artifacts', 'fuzz');
if (!(minutes > 0) || !Number.isFinite(seed)) {
  console.error('usage: npm run fuzz -- --minutes N [--seed S] [--only traces|dap]');
  process.exit(2);
}

/** One half, in this process: seed after seed until the time is up; JSON figures on stdout. */
async function runPart(which) {
  const end = Date.now() + minutes * 60000;
  const traces = require(path.join(root, 'out/test/unit/fuzz/traceFuzz.js'));
  const dap = which === 'dap' ? require(path.join(root, 'out/test/unit/fuzz/dapFuzz.js')) : null;
  const total = {};
  const failures = [];
  for (let s = seed; Date.now() < end; s++) {
    const ms = Math.max(1000, end - Date.now());
    const r =
      which === 'traces'
        ? traces.runTraceFuzz({ seed: s, ms, saveDir })
        : await dap.runDapFuzz({ seed: s, ms, saveDir, mutations: traces.mutationList });
    for (const [k, v] of Object.entries(r.stats))
      total[k] = k.startsWith('max') ? Math.max(total[k] ?? 0, v) : (total[k] ?? 0) + v;
    if (r.failure) {
      failures.push({ seed: s, saved: r.failure.saved, message: r.failure.message.slice(0, 600) });
      process.stderr.write(
        `fuzz ${which}: seed ${s} failed, saved ${r.failure.saved}\n${r.failure.message.slice(0, 600)}\n`,
      );
    }
  }
  process.stdout.write(JSON.stringify({ part: which, seed, stats: total, failures }) + '\n');
}

if (part) {
  await runPart(part);
} else {
  const parts = only ? [only] : ['traces', 'dap'];
  console.error(
    `fuzz: ${minutes} min, seed ${seed}, ${parts.join(' + ')}; reproductions go to ${path.relative(root, saveDir)}/`,
  );
  const results = await Promise.all(
    parts.map(
      (p) =>
        new Promise((resolve) => {
          const child = spawn(
            process.execPath,
            [new URL(import.meta.url).pathname, ...argv, '--seed', String(seed), '--part', p],
            {
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('close', (code) => {
            try {
              resolve(JSON.parse(out.trim().split('\n').pop()));
            } catch {
              resolve({ part: p, stats: {}, failures: [{ message: `the ${p} fuzzer itself failed (exit ${code})` }] });
            }
          });
        }),
    ),
  );
  const t = Object.fromEntries(results.map((r) => [r.part, r]));
  const failures = results.flatMap((r) => r.failures);
  const ts = t.traces?.stats ?? {};
  const ds = t.dap?.stats ?? {};
  console.log(`seed: ${seed}`);
  console.log(`minutes: ${minutes}`);
  if (t.traces) {
    console.log(`trace_cases: ${ts.cases ?? 0}`);
    console.log(`cli_processes: ${ts.cliProcesses ?? 0}`);
    console.log(`cli_max_rss_mb: ${Math.round(ts.maxCliRssMb ?? 0)}`);
    console.log(`unclear_messages: ${ts.unclear ?? 0}`);
    console.log(`trace_failures: ${t.traces.failures.length}`);
  }
  if (t.dap) {
    console.log(`dap_sessions: ${ds.sequences ?? 0}`);
    console.log(`dap_requests: ${ds.requests ?? 0}`);
    console.log(`dap_error_responses: ${ds.errorResponses ?? 0}`);
    console.log(`adapter_crashes: ${ds.crashes ?? 0}`);
    console.log(`hangs: ${ds.hangs ?? 0}`);
    console.log(`duplicate_responses: ${ds.duplicates ?? 0}`);
    console.log(`adapter_max_rss_mb: ${Math.round(ds.maxRssMb ?? 0)}`);
    console.log(`dap_failures: ${t.dap.failures.length}`);
  }
  for (const f of failures)
    console.log(`failure: seed ${f.seed ?? '?'} ${f.saved ?? ''}\n  ${String(f.message).split('\n').join('\n  ')}`);
  process.exit(failures.length ? 1 : 0);
}
