#!/usr/bin/env node
// How long the TextMate grammar (syntaxes/hptrace.tmLanguage.json) takes to tokenize a trace, the
// way VS Code runs it: vscode-textmate + vscode-oniguruma, tokenizeLine2 line after line, the rule
// stack of each line carried into the next. Prints `NAME: VALUE` figures on standard output, notes
// on standard error.
//
//   node scripts/bench-grammar.mjs                  the grammar in syntaxes/
//   node scripts/bench-grammar.mjs --vs OLD.json    A/B: syntaxes/ (A) against OLD.json (B), in one
//                                                   process, passes interleaved (A B, B A, …)
//   options: --grammar FILE (A instead of syntaxes/), --hcalls N (the generated trace, default
//            20000), --passes K (timed passes after one warm-up pass, default 5), --diff (with --vs:
//            tokenize every corpus line with both grammars and list the tokens whose scopes differ;
//            exit 1 if any do)
//
// Figures (median of the passes, the fastest as a note; each pass tokenizes every line once):
//   grammar_us_per_line           µs per line on a scripts/gen.mjs trace (seed 1, 20000 hcalls)
//   grammar_examples_us_per_line  µs per line on examples/*.hptrace, test/conformance/*.hptrace,
//                                 test/fixtures/*.hptrace and the captures of test/fixtures/captures
//                                 imported (when dist/cli.js exists): ~450 lines, tokenized over and over
//                                 so that a pass is ~20000 lines (V8 optimizes vscode-textmate only
//                                 after some thousands of lines)
// With --vs the same names end in _a and _b, and grammar_speedup is B / A on the generated trace.
//
// From scripts/bench.mjs: benchGrammar({ root, figure, note, trace, hcalls }) prints grammar_us_per_line
// only (3 passes over bench.mjs's cached trace of `hcalls` hcalls, ~1 s), its fastest pass as a note.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { cachedTrace, defaultBenchCache, median } from './bench-lib.mjs';
import { NodeChildError, runNodeSync } from './node-child.mjs';

const require = createRequire(import.meta.url);
const defaultRoot = path.dirname(path.dirname(new URL(import.meta.url).pathname));

let onigLib = null;
/** vscode-oniguruma's WASM can be loaded once per process. */
function loadOnig(root) {
  if (!onigLib) {
    const oniguruma = require(path.join(root, 'node_modules/vscode-oniguruma'));
    const wasm = fs.readFileSync(path.join(root, 'node_modules/vscode-oniguruma/release/onig.wasm'));
    onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (p) => new oniguruma.OnigScanner(p),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
  }
  return onigLib;
}

/** A grammar file loaded in its own registry (so two versions of source.hptrace can coexist). */
export async function loadGrammar(root, file) {
  const vsctm = require(path.join(root, 'node_modules/vscode-textmate'));
  const registry = new vsctm.Registry({
    onigLib: loadOnig(root),
    loadGrammar: async (scope) =>
      scope === 'source.hptrace' ? vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null,
  });
  const g = await registry.loadGrammar('source.hptrace');
  if (!g) throw new Error(`${file}: no source.hptrace grammar`);
  return { g, vsctm, file };
}

/** Tokenizes the files' lines as VS Code does (binary tokens, state carried); returns elapsed ms. */
function tokenizeAll({ g, vsctm }, files) {
  let sink = 0;
  const t0 = performance.now();
  for (const lines of files) {
    let state = vsctm.INITIAL;
    for (const line of lines) {
      const r = g.tokenizeLine2(line, state);
      state = r.ruleStack;
      sink += r.tokens.length;
    }
  }
  const ms = performance.now() - t0;
  if (sink === 0) throw new Error('no tokens');
  return ms;
}

/**
 * Median µs per line of each grammar over `passes` timed passes (after one warm-up pass), passes
 * interleaved and their order alternated so both grammars see the same machine.
 */
function timeGrammars(grammars, files, passes) {
  const lines = files.reduce((n, f) => n + f.length, 0);
  for (const g of grammars) tokenizeAll(g, files); // warm-up: compiles the scanners, lets V8 optimize
  const ms = grammars.map(() => []);
  for (let p = 0; p < passes; p++) {
    const order = grammars.map((_, i) => i);
    if (p % 2) order.reverse();
    for (const i of order) ms[i].push(tokenizeAll(grammars[i], files));
  }
  return ms.map((xs) => ({ median: (median(xs) * 1000) / lines, min: (Math.min(...xs) * 1000) / lines }));
}

/** Lines of a text as VS Code's model holds them (no line terminators). */
const splitLines = (text) => text.split(/\r\n|\n/);

/** The generated trace of n hcalls (seed 1), cached where scripts/bench.mjs caches its traces. */
const generatedTrace = (root, n) => cachedTrace(root, defaultBenchCache(), n, 1);

/** examples/, test/conformance/, test/fixtures/ and (with a built CLI) the constructed captures imported: [name, lines][]. */
function otherTraces(root, note) {
  const out = [];
  for (const dir of ['examples', 'test/conformance', 'test/fixtures']) {
    for (const f of fs.readdirSync(path.join(root, dir)).sort()) {
      if (f.endsWith('.hptrace'))
        out.push([`${dir}/${f}`, splitLines(fs.readFileSync(path.join(root, dir, f), 'utf8'))]);
    }
  }
  const cli = path.join(root, 'dist/cli.js');
  const cap = (f) => path.join(root, 'test/fixtures/captures', f);
  const imports = [
    ['p9', ['--hcalls', cap('p9-ftrace.txt'), '--memslots', cap('qemu-memslots.log'), '--maps', cap('qemu.maps'), '--htab', cap('htab-start.txt'), '--set', 'host.cpu=power9']], // prettier-ignore
    ['p7', ['--hcalls', cap('p7-ftrace.txt'), '--memslots', cap('strace-memslots.txt'), '--smaps', cap('qemu.smaps')]],
    ['perf', ['--hcalls', cap('p9-perf.txt'), '--memslots', cap('qemu-memslots.log')]],
  ];
  if (!fs.existsSync(cli)) note('dist/cli.js is missing (npm run build): the imported captures are left out');
  else {
    for (const [name, args] of imports) {
      try {
        out.push([`import of the ${name} captures`, splitLines(runNodeSync(cli, ['import', ...args]))]);
      } catch (e) {
        if (!(e instanceof NodeChildError)) throw e;
        note(`import of the ${name} captures failed (${e.how}): ${e.stderr.trim().slice(0, 200)}`);
      }
    }
  }
  return out;
}

/** Per character, the scopes of each line under a and b; the differences found, up to `max`. */
function diffScopes(a, b, named, max = 40) {
  const diffs = [];
  let count = 0;
  for (const [name, lines] of named) {
    let sa = a.vsctm.INITIAL;
    let sb = b.vsctm.INITIAL;
    lines.forEach((line, i) => {
      const ra = a.g.tokenizeLine(line, sa);
      const rb = b.g.tokenizeLine(line, sb);
      sa = ra.ruleStack;
      sb = rb.ruleStack;
      const perChar = (tokens) => {
        const out = new Array(line.length).fill('');
        for (const t of tokens)
          for (let c = t.startIndex; c < Math.min(t.endIndex, line.length); c++) out[c] = t.scopes.join(' ');
        return out;
      };
      const ca = perChar(ra.tokens);
      const cb = perChar(rb.tokens);
      // token boundaries matter too: a boundary in one and not the other is a difference
      const bounds = (tokens) => new Set(tokens.map((t) => t.startIndex).filter((s) => s < line.length));
      const ba = bounds(ra.tokens);
      const bb = bounds(rb.tokens);
      for (let c = 0; c < line.length; c++) {
        if (ca[c] === cb[c] && ba.has(c) === bb.has(c)) continue;
        count++;
        let e = c + 1;
        while (e < line.length && (ca[e] !== cb[e] || ba.has(e) !== bb.has(e)) && !ba.has(e) && !bb.has(e)) e++;
        if (diffs.length < max)
          diffs.push(`${name}:${i + 1}:${c + 1} ${JSON.stringify(line.slice(c, e))}\n    A: ${ca[c]}\n    B: ${cb[c]}`);
        c = e - 1;
      }
    });
  }
  return { count, diffs };
}

/** The figure for scripts/bench.mjs: grammar_us_per_line on the generated trace, 3 passes. */
export async function benchGrammar({ root = defaultRoot, figure, note, trace, hcalls = 20_000 }) {
  const file = trace ? trace(hcalls).file : generatedTrace(root, hcalls);
  const lines = splitLines(fs.readFileSync(file, 'utf8'));
  const g = await loadGrammar(root, path.join(root, 'syntaxes/hptrace.tmLanguage.json'));
  const [us] = timeGrammars([g], [lines], 3);
  figure('grammar_us_per_line', us.median.toFixed(1));
  note?.(`grammar_us_per_line: median of 3 passes over ${file} (min ${us.min.toFixed(1)})`);
}

// ---- command line --------------------------------------------------------------------------------
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const argv = process.argv.slice(2);
  const note = (s) => process.stderr.write(`bench-grammar: ${s}\n`);
  const usage = (msg) => {
    if (msg) note(msg);
    process.stderr.write(
      'usage: node scripts/bench-grammar.mjs [--grammar A.json] [--vs B.json] [--hcalls N] [--passes K] [--diff]\n',
    );
    process.exit(2);
  };
  const root = defaultRoot;
  let opts;
  try {
    opts = parseArgs({
      args: argv,
      options: {
        grammar: { type: 'string' },
        vs: { type: 'string' },
        hcalls: { type: 'string' },
        passes: { type: 'string' },
        diff: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    usage(e.message);
  }
  const count = (name, dflt) => {
    if (opts[name] === undefined) return dflt;
    const v = Number(opts[name]);
    if (!Number.isInteger(v) || v < 1) usage(`--${name} needs a positive integer`);
    return v;
  };
  const fileA = path.resolve(opts.grammar ?? path.join(root, 'syntaxes/hptrace.tmLanguage.json'));
  const fileB = opts.vs === undefined ? null : path.resolve(opts.vs);
  const hcalls = count('hcalls', 20_000);
  const passes = count('passes', 5);
  const diff = opts.diff === true;
  if (diff && !fileB) usage('--diff needs --vs');

  const grammars = [await loadGrammar(root, fileA)];
  if (fileB) grammars.push(await loadGrammar(root, fileB));
  const genFile = generatedTrace(root, hcalls);
  const gen = splitLines(fs.readFileSync(genFile, 'utf8'));
  const others = otherTraces(root, note);
  note(`A = ${path.relative(root, fileA)}${fileB ? `, B = ${path.relative(root, fileB)}` : ''}`);
  note(
    `${gen.length} lines of ${genFile}; ${others.reduce((n, [, l]) => n + l.length, 0)} lines in ${others.length} other traces`,
  );

  const suffix = fileB ? ['_a', '_b'] : [''];
  const onGen = timeGrammars(grammars, [gen], passes);
  const otherLines = others.reduce((n, [, l]) => n + l.length, 0);
  const repeat = Math.max(1, Math.round(20_000 / otherLines));
  const onOthers = timeGrammars(
    grammars,
    Array.from({ length: repeat }, () => others.map(([, l]) => l)).flat(),
    passes,
  );
  const show = (name, us) => {
    console.log(`${name}: ${us.median.toFixed(1)}`);
    note(`${name}: min ${us.min.toFixed(1)} of ${passes} passes`);
  };
  onGen.forEach((us, i) => show(`grammar_us_per_line${suffix[i]}`, us));
  onOthers.forEach((us, i) => show(`grammar_examples_us_per_line${suffix[i]}`, us));
  if (fileB) console.log(`grammar_speedup: ${(onGen[1].median / onGen[0].median).toFixed(2)}`);

  if (diff) {
    const { count, diffs } = diffScopes(grammars[0], grammars[1], [[path.basename(genFile), gen], ...others]);
    for (const d of diffs) process.stderr.write(`${d}\n`);
    note(count ? `${count} differences in scopes or token boundaries` : 'same tokens and scopes on every line');
    if (count) process.exitCode = 1;
  }
}
