// Generates syntaxes/hptrace.tmLanguage.json from src/core/bits.ts (and the coverage reasons of
// src/core/records.ts), so hcall names, return codes, argument names and reason codes in the grammar
// can never drift from the tables the emulation and the parser use.
// Run on its own or from scripts/build.mjs; the tables are bundled in memory with esbuild and imported.
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

async function loadBits() {
  const r = await esbuild.build({
    stdin: {
      contents: "export * from './src/core/bits';\nexport { COVERAGE_REASONS } from './src/core/records';\n",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
  const code = r.outputFiles[0].text;
  return import('data:text/javascript;base64,' + Buffer.from(code).toString('base64'));
}

const alt = (words) => words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

export function buildGrammar(bits) {
  const { HCALLS, RETURN_CODES, GENERIC_ARGS, CPUS, CACHE_MODES, COVERAGE_REASONS } = bits;
  const records = ['hptrace', 'cpu', 'host', 'hpt', 'vma', 'munmap', 'memslot', 'hcall', 'coverage', 'hpte'];
  // The hosts a coverage record may name (the parser's COVERAGE_HOSTS).
  const coverageHosts = ['power7', 'power8', 'power9'];
  // Field names of the configuration records (the parser's allowed keys) plus every hcall argument.
  const recordFields = [
    'page',
    'order',
    'pfn',
    'pgoff',
    'cache',
    'gfn',
    'npages',
    'gpa',
    'size',
    'hva',
    'flags',
    'vcpu',
    // format 2: coverage and hpte records
    'why',
    'from',
    'host',
    'v',
    'r',
    'guest_r',
  ];
  const argFields = [...new Set([...HCALLS.flatMap((h) => h.args), ...GENERIC_ARGS])];
  const success = RETURN_CODES.filter((c) => c.value === 0).map((c) => c.name);
  const failures = RETURN_CODES.filter((c) => c.value !== 0).map((c) => c.name);
  const hex = '0[xX][0-9a-fA-F]+';

  // ---- whole-line matches ------------------------------------------------------------------------
  // In vscode-textmate each match is a scanner call (~0.5 µs, and every rule of the scanner that
  // can start anywhere searches the rest of the line again), while a capture group costs ~30-50 ns
  // and a scoped token ~0.2 µs whichever way it is made. So the common lines are each one regex
  // with a group per token (about a sixth of the time token by token). The scopes (S, below)
  // are the ones the token-by-token rules (in otherLine) use too; a line with anything
  // else fails the whole-line rules and is scoped token by token. test/unit/extension/grammar.test.ts
  // checks that both give the same scopes, and that every group here is exercised;
  // `node scripts/bench-grammar.mjs --vs OLD.json --diff` compares two grammar files.
  // Every optional token is an atomic group around an optional one, `(?>(?:\s+TOKEN)?)`: once a
  // token is taken or left it stays so, and a line that fails costs one pass, not one per way of
  // leaving tokens out.
  const S = {
    record: 'keyword.other.record.hptrace',
    cpu: 'support.constant.cpu.hptrace',
    timestamp: 'constant.other.timestamp.hptrace',
    hcall: 'entity.name.function.hcall.hptrace',
    hcallOther: 'entity.name.function.hcall.other.hptrace',
    arg: 'variable.parameter.argument.hptrace',
    field: 'variable.other.property.field.hptrace',
    unknownField: 'variable.other.field.unknown.hptrace',
    assign: 'keyword.operator.assignment.hptrace',
    hex: 'constant.numeric.hex.hptrace',
    dec: 'constant.numeric.decimal.hptrace',
    size: 'constant.numeric.size.hptrace',
    range: 'punctuation.separator.range.hptrace',
    unknownArg: 'constant.language.unknown.argument.hptrace',
    mapping: 'storage.type.mapping.hptrace',
    cache: 'support.constant.cache.hptrace',
    result: 'keyword.operator.result.hptrace',
    success: 'constant.language.return.success.hptrace',
    failure: 'invalid.illegal.return.failure.hptrace',
    unknownResult: 'constant.language.return.unknown.hptrace',
  };
  const mappingKinds = ['anon', 'pfnmap', 'other', 'delete'];
  const hcallNames = HCALLS.map((h) => h.name);
  const retNames = RETURN_CODES.map((c) => c.name.slice(2));
  const cpuNames = CPUS.map((c) => c.name);
  const cacheNames = CACHE_MODES.map((c) => c.name);
  const maxArgs = Math.max(...HCALLS.map((h) => h.args.length)); // H_BULK_REMOVE's w0..w7
  const maxOut = GENERIC_ARGS.length; // r4..r11
  const END = '(?![^\\s#])'; // a token ends at a blank, a comment or the end of the line
  const opt = (re) => `(?>(?:\\s+${re}${END})?)`; // an optional token
  const rep = (n, f) => Array.from({ length: n }, f).join('');
  /**
   * A match rule whose groups get their scopes as they are written: cap(SCOPE, RE) is `(RE)`.
   * Groups are numbered in the order cap() is called, so build(cap) writes the regex left to right.
   */
  const lineMatch = (build) => {
    const captures = {};
    let n = 0;
    const cap = (scope, re) => {
      captures[++n] = { name: scope };
      return `(${re})`;
    };
    return { match: build(cap), captures };
  };
  /** The words as one alternation that shares their prefixes (fewer branches for oniguruma to try). */
  const trie = (words) => {
    const groups = new Map();
    for (const w of words) if (w) groups.set(w[0], [...(groups.get(w[0]) ?? []), w]);
    const alts = [...groups.values()].map((ws) => {
      let n = 1;
      while (ws.every((w) => w.length > n && w[n] === ws[0][n])) n++;
      return alt([ws[0].slice(0, n)]) + (ws.length === 1 ? '' : `(?:${trie(ws.map((w) => w.slice(n)))})`);
    });
    if (words.includes('')) alts.push('');
    return alts.join('|');
  };
  const word = (cap, scope, words) => cap(scope, trie(words));
  // An hcall line in the order the format gives: `hcall [@T] [vcpu=N] NAME ARG… [-> RET [rK=V]…]`,
  // with at most `nargs` arguments and `nout` output registers. A capture group costs even when it
  // takes no part in the match (~50 ns, in oniguruma and in handing the groups to JavaScript), so
  // the lines most traces are made of have their own narrower regexes, tried first:
  //   'named'       arguments and outputs by name with hex values, vcpu=DECIMAL, a named hcall
  //                 (generated and hand-written traces)
  //   'positional'  arguments by position, hex or `?` (imported traces)
  //   'any'         any mix of named and positional arguments, hex, decimal or `?`, an hcall number
  const hcallLine = (kind, nargs, nout) =>
    lineMatch((cap) => {
      const any = kind === 'any';
      const value = () =>
        kind === 'named'
          ? cap(S.hex, hex)
          : `(?:${cap(S.hex, hex)}|${any ? `${cap(S.dec, '\\d+')}|` : ''}${cap(S.unknownArg, '\\?')})`;
      const vcpu = () => (any ? `(?:${cap(S.hex, hex)}|${cap(S.dec, '\\d+')})` : cap(S.dec, '\\d+'));
      const name = () => `${word(cap, S.arg, argFields)}${cap(S.assign, '=')}`;
      const arg = () =>
        kind === 'named' ? `${name()}${value()}` : kind === 'positional' ? value() : `(?:${name()})?${value()}`;
      const ret = () =>
        `(?:${word(cap, S.success, success)}|${word(cap, S.failure, failures)}` +
        `${kind === 'named' ? '' : `|${cap(S.unknownResult, '\\?')}`})`;
      return (
        `^\\s*${cap(S.record, 'hcall')}${END}` +
        opt(cap(S.timestamp, '@\\d+(?:\\.\\d+)?')) +
        opt(`${cap(S.field, 'vcpu')}${cap(S.assign, '=')}${vcpu()}`) +
        `\\s+(?:${word(cap, S.hcall, hcallNames)}` +
        `|${cap(S.hcallOther, `H_(?!(?:${alt(retNames)})${END})[A-Z0-9_]+`)}` +
        `${any ? `|${cap(S.hex, hex)}|${cap(S.dec, '\\d+')}` : ''})${END}` +
        rep(nargs, () => opt(arg())) +
        `(?>(?:\\s+${cap(S.result, '->')}${opt(ret())}` +
        rep(nout, () => opt(`${name()}${value()}`)) +
        `)?)\\s*(?=#|$)`
      );
    });
  // A configuration record (not coverage: its lists go to otherLine) with at most `n` tokens after
  // its keyword: fields, numbers, ranges, sizes, `?`, mapping kinds, cache modes after `cache=`.
  // A field named why/from/host, or a token starting with H_, is scoped otherwise token by token.
  const configRecords = records.filter((r) => r !== 'hcall' && r !== 'coverage');
  const recordLine = (n) =>
    lineMatch(
      (cap) =>
        `^\\s*(?:${cap(S.record, 'cpu')}\\s+${word(cap, S.cpu, cpuNames)}` +
        `|${word(cap, S.record, configRecords)})${END}` +
        rep(
          n,
          () =>
            `(?>(?:\\s+(?=[^\\s#])(?!H_|(?:why|from|host)=)` +
            `(?:(?:${word(cap, S.arg, argFields)}|${word(cap, S.field, recordFields)}` +
            `|${cap(S.unknownField, '[A-Za-z_][A-Za-z0-9_]*')})${cap(S.assign, '=')})?` +
            `(?:${cap(S.hex, hex)}${cap(S.range, '-')}${cap(S.hex, hex)}|${cap(S.size, '\\d+[KMG]')}` +
            `|${cap(S.hex, hex)}|${cap(S.dec, '\\d+')}|${cap(S.unknownArg, '\\?')}` +
            `|(?<=\\s)${word(cap, S.mapping, mappingKinds)}` +
            `|(?<=cache=)${word(cap, S.cache, cacheNames)})?${END})?)`,
        ) +
        '\\s*(?=#|$)',
    );
  if (!recordFields.includes('vcpu') || argFields.includes('vcpu'))
    throw new Error('gen-grammar: hcallLine scopes vcpu= as a record field, not an argument');

  return {
    $schema: 'https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json',
    name: 'hptrace',
    scopeName: 'source.hptrace',
    fileTypes: ['hptrace'],
    comment: 'GENERATED by scripts/gen-grammar.mjs from src/core/bits.ts; do not edit by hand.',
    // Every pattern at the top level starts at the beginning of a line, except the comment (last, so
    // a line that matches whole is not also searched for `#`). The common hcall lines are one match
    // each (hcallLine). Any other line goes into otherLine, where a whole-line match is tried first
    // (wholeLine: any other hcall line, a configuration record), and the token-by-token rules, which
    // are the whole grammar as it was before the whole-line matches, take the rest (a coverage
    // record, a line being typed, a malformed one). Keeping the rarer rules off the top level keeps
    // short the scan that ends every line, in which each top-level rule is searched again.
    patterns: [{ include: '#hcallLine' }, { include: '#otherLine' }, { include: '#comment' }],
    repository: {
      hcallLine: {
        patterns: [
          hcallLine('named', 4, 2), // H_ENTER, H_REMOVE, H_PROTECT, H_READ
          hcallLine('named', maxArgs, maxOut), // H_BULK_REMOVE, H_READ with H_READ_4
          hcallLine('positional', maxArgs, 0),
        ],
      },
      otherLine: {
        begin: '^(?=\\s*[^\\s#])',
        end: '$',
        patterns: [
          { include: '#wholeLine' },
          { include: '#comment' },
          { include: '#record' },
          { include: '#coverageList' },
          { include: '#result' },
          { include: '#tokens' },
        ],
      },
      wholeLine: { patterns: [hcallLine('any', maxArgs, maxOut), recordLine(6)] },
      comment: {
        match: '(#).*$',
        name: 'comment.line.number-sign.hptrace',
        captures: { 1: { name: 'punctuation.definition.comment.hptrace' } },
      },
      record: {
        patterns: [
          {
            match: `^\\s*(cpu)\\s+(${alt(CPUS.map((c) => c.name))})(?=\\s|$|#)`,
            captures: { 1: { name: S.record }, 2: { name: S.cpu } },
          },
          {
            // format 2: `coverage complete|partial …`
            match: '^\\s*(coverage)\\s+(?:(complete)|(partial))(?=\\s|$|#)',
            captures: {
              1: { name: S.record },
              2: { name: 'support.constant.coverage.complete.hptrace' },
              3: { name: 'support.constant.coverage.partial.hptrace' },
            },
          },
          { match: `^\\s*(${alt(records)})(?=\\s|$|#)`, captures: { 1: { name: S.record } } },
        ],
      },
      coverageList: {
        // format 2: the values of a coverage record's why=, from= and host= (comma-separated lists)
        patterns: [
          {
            begin: '(?<=\\s)(why)(=)',
            beginCaptures: {
              1: { name: S.field },
              2: { name: S.assign },
            },
            end: '(?=\\s|$|#)',
            patterns: [
              {
                match: `(?<=[=,])(${alt(COVERAGE_REASONS.map((r) => r.code))})(?=[,\\s#]|$)`,
                name: 'support.constant.coverage.reason.hptrace',
              },
              { match: ',', name: 'punctuation.separator.list.hptrace' },
              { match: '[^,\\s#]+', name: 'invalid.illegal.coverage.reason.hptrace' },
            ],
          },
          {
            begin: '(?<=\\s)(from)(=)',
            beginCaptures: {
              1: { name: S.field },
              2: { name: S.assign },
            },
            end: '(?=\\s|$|#)',
            patterns: [
              { match: '[a-z0-9][a-z0-9-]*', name: 'support.constant.capture.hptrace' },
              { match: ',', name: 'punctuation.separator.list.hptrace' },
            ],
          },
          {
            match: `(?<=\\s)(host)(=)(${alt(coverageHosts)})(?=\\s|$|#)`,
            captures: {
              1: { name: S.field },
              2: { name: S.assign },
              3: { name: 'support.constant.cpu.host.hptrace' },
            },
          },
        ],
      },
      result: {
        // `-> RET` starts the recorded result; the return code is scoped by success/failure.
        begin: '(->)',
        beginCaptures: { 1: { name: S.result } },
        end: '(?=#)|$',
        patterns: [
          // format 2: `-> ?`, the result is not in the capture
          { match: '(?<=\\s|>)\\?(?=\\s|$|#)', name: S.unknownResult },
          { include: '#returnCode' },
          { include: '#tokens' },
        ],
      },
      returnCode: {
        patterns: [
          { match: `\\b(${alt(success)})\\b`, name: S.success },
          { match: `\\b(${alt(failures)})\\b`, name: S.failure },
        ],
      },
      tokens: {
        patterns: [
          { include: '#timestamp' },
          { include: '#hcallName' },
          { include: '#returnCode' },
          { include: '#field' },
          { include: '#keywordValue' },
          { include: '#number' },
          { include: '#unknown' },
        ],
      },
      // format 2: an argument the capture does not hold (`w4=?`, or `?` by position)
      unknown: { match: '(?<=\\s|=)\\?(?=\\s|$|#)', name: S.unknownArg },
      timestamp: { match: '(?<=\\s|^)@\\d+(?:\\.\\d+)?(?=\\s|$|#)', name: S.timestamp },
      hcallName: {
        patterns: [
          { match: `\\b(${alt(HCALLS.map((h) => h.name))})\\b`, name: S.hcall },
          // Hcalls the tables do not know are still accepted by name (and passed over).
          {
            match: `\\bH_(?!(?:${alt(RETURN_CODES.map((c) => c.name.slice(2)))})\\b)[A-Z0-9_]+\\b`,
            name: S.hcallOther,
          },
        ],
      },
      field: {
        patterns: [
          {
            match: `(?<=\\s|^)(${alt(argFields)})(=)`,
            captures: {
              1: { name: S.arg },
              2: { name: S.assign },
            },
          },
          {
            match: `(?<=\\s|^)(${alt(recordFields)})(=)`,
            captures: {
              1: { name: S.field },
              2: { name: S.assign },
            },
          },
          {
            match: '(?<=\\s|^)([A-Za-z_][A-Za-z0-9_]*)(=)',
            captures: {
              1: { name: S.unknownField },
              2: { name: S.assign },
            },
          },
        ],
      },
      keywordValue: {
        patterns: [
          { match: '(?<=\\s)(anon|pfnmap|other|delete)(?=\\s|$|#)', name: S.mapping },
          {
            match: `(?<=cache=)(${alt(CACHE_MODES.map((c) => c.name))})(?=\\s|$|#)`,
            name: S.cache,
          },
        ],
      },
      number: {
        patterns: [
          {
            match: `(?<![\\w.])(${hex})(-)(${hex})(?![\\w.])`,
            captures: {
              1: { name: S.hex },
              2: { name: S.range },
              3: { name: S.hex },
            },
          },
          { match: '(?<![\\w.])\\d+[KMG](?![\\w.])', name: S.size },
          { match: `(?<![\\w.])${hex}(?![\\w.])`, name: S.hex },
          { match: '(?<![\\w.])\\d+(?![\\w.])', name: S.dec },
        ],
      },
    },
  };
}

export async function generate() {
  const bits = await loadBits();
  const out = path.join(root, 'syntaxes/hptrace.tmLanguage.json');
  const text = JSON.stringify(buildGrammar(bits), null, 2) + '\n';
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Rewritten only on change, so watchers and packaging see a stable mtime.
  if (!fs.existsSync(out) || fs.readFileSync(out, 'utf8') !== text) fs.writeFileSync(out, text);
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const out = await generate();
  console.log(`generated ${path.relative(root, out)}`);
}
