// `npm run demo`: replays every example trace with the CLI (dist/cli.js, as a child process) and
// prints a short, readable summary: per trace the results, the failed hcalls with the check that
// decided them, what the seed commit changes, and one decoded value. Run after `npm ci`; the npm
// script builds first.
//
//   npm run demo                the summary (about a screen)
//   npm run demo -- --json      the same facts as one JSON object (the CLI's JSON Lines per trace)
//   npm run demo -- --verbose   the CLI's full replay tables as well
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NodeChildError, runNodeSync } from './node-child.mjs';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const cli = path.join(root, 'dist', 'cli.js');
const args = process.argv.slice(2);
const json = args.includes('--json');
const verbose = args.includes('--verbose');
const tty = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (tty ? `\x1b[2m${s}\x1b[0m` : s);

if (!fs.existsSync(cli)) {
  console.error('demo: dist/cli.js is missing; run `npm run build` first (npm run demo does).');
  process.exit(1);
}
const examples = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.hptrace'))
  .sort();

function hptrace(...a) {
  try {
    return runNodeSync(cli, a, { cwd: root });
  } catch (e) {
    if (!(e instanceof NodeChildError)) throw e;
    console.error(`demo: hptrace ${a.join(' ')} ${e.how}\n${e.stderr}`);
    process.exit(1);
  }
}
const jsonLines = (text) =>
  text
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));

const traces = examples.map((f) => {
  const file = `examples/${f}`;
  const io = jsonLines(hptrace('replay', file, '--json'));
  const pre = jsonLines(hptrace('replay', file, '--json', '--kernel', 'pre-io'));
  // the deciding check of each failure: the "└ …" line under its row in the text report
  const text = hptrace('replay', file);
  const details = new Map();
  let last = 0;
  for (const l of text.split('\n')) {
    const row = /^\s+(\d+)\s+H_/.exec(l);
    if (row) last = Number(row[1]);
    const d = /^\s+└ (.*)$/.exec(l);
    if (d && last && !details.has(last)) details.set(last, d[1]);
  }
  for (const r of io) r.detail = details.get(r.line);
  return { file, io, pre, text };
});
const decoded = hptrace('decode', '0x20002106a', '--as', 'r');

if (json) {
  process.stdout.write(
    JSON.stringify({ traces: traces.map((t) => ({ file: t.file, io: t.io, preIo: t.pre })), decode: decoded }) + '\n',
  );
  process.exit(0);
}

const count = (recs) => {
  const m = new Map();
  for (const r of recs) m.set(r.ret ?? 'not emulated', (m.get(r.ret ?? 'not emulated') ?? 0) + 1);
  return [...m].map(([k, v]) => `${v} ${k}`).join(', ');
};
const why = (r) => r.detail ?? '';

console.log(
  bold('hptrace demo') + dim(' — every example replayed on the emulated kernel with and without the seed commit'),
);
for (const t of traces) {
  const diverged = t.io.filter((r) => r.diverged).length;
  console.log(
    `\n${bold(t.file)}: ${t.io.length} hcalls → ${count(t.io)}${diverged ? `; ${diverged} ${diverged === 1 ? 'differs' : 'differ'} from the recording` : ''}`,
  );
  for (const r of t.io.filter((x) => x.ret && x.ret !== 'H_SUCCESS').slice(0, 3)) {
    const w = why(r);
    console.log(`  line ${String(r.line).padStart(3)} ${r.hcall} → ${r.ret}${w ? dim(`  ${w}`) : ''}`);
  }
  const changed = t.io.filter((r, i) => t.pre[i] && t.pre[i].ret !== r.ret);
  if (changed.length)
    console.log(
      `  the seed commit changes ${changed.length} ${changed.length === 1 ? 'result' : 'results'}: ` +
        changed
          .slice(0, 4)
          .map((r) => `line ${r.line} ${t.pre[t.io.indexOf(r)].ret} → ${r.ret}`)
          .join(', ') +
        (changed.length > 4 ? ', …' : ''),
    );
  if (verbose) process.stdout.write(t.text);
}
const table = decoded.split('\n').filter((l) => /^\s+(RPN|W|I|G)\s/.test(l));
console.log(`\n${bold('hptrace decode 0x20002106a --as r')} (the ptel refused on line 31 of 1-io-bar):`);
for (const l of table) console.log(l);
console.log(
  `\nOpen examples/ in VS Code with the extension to debug these traces (Debug This Trace in the editor title).` +
    dim(`\nFull tables: npm run demo -- --verbose; all of it as JSON: npm run demo -- --json`),
);
