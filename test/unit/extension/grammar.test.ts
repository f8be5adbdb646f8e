/** The generated TextMate grammar: scopes on sample lines, and every hcall and return code of bits.ts in it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { HCALLS, RETURN_CODES } from '../../../src/core/bits';
import { spawnNode } from '../../helpers/spawnNode';

/** The repository root, wherever the bundled test runs from (out/test/unit/ after the build). */
function findRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const root = findRoot(__dirname);
const grammarPath = path.join(root, 'syntaxes/hptrace.tmLanguage.json');

let wasmLoaded: Promise<void> | undefined;
/** The grammar from its JSON text (the file by default), each in its own registry. */
async function loadGrammar(text = fs.readFileSync(grammarPath, 'utf8')): Promise<vsctm.IGrammar> {
  const wasm = fs.readFileSync(path.join(root, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  wasmLoaded ??= oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  await wasmLoaded;
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => (scope === 'source.hptrace' ? vsctm.parseRawGrammar(text, grammarPath) : null),
  });
  const g = await registry.loadGrammar('source.hptrace');
  assert.ok(g, 'grammar loads');
  return g;
}

const grammar = loadGrammar();

/** The scopes of each token of one line, keyed by its text (the first occurrence wins). */
async function scopes(line: string): Promise<Map<string, string[]>> {
  const g = await grammar;
  const r = g.tokenizeLine(line, vsctm.INITIAL);
  const out = new Map<string, string[]>();
  for (const t of r.tokens) {
    const text = line.slice(t.startIndex, t.endIndex);
    if (!out.has(text)) out.set(text, t.scopes);
  }
  return out;
}

function has(m: Map<string, string[]>, text: string, scope: string): void {
  const s = m.get(text);
  assert.ok(
    s,
    `token ${JSON.stringify(text)} exists (tokens: ${[...m.keys()].map((k) => JSON.stringify(k)).join(' ')})`,
  );
  assert.ok(
    s.some((x) => x.startsWith(scope)),
    `${JSON.stringify(text)} has ${scope}; got ${s.join(' ')}`,
  );
}

test('hcall line: keyword, time stamp, hcall name, fields, hex, result arrow, success code, comment', async () => {
  const m = await scopes(
    'hcall @1234.567890 vcpu=1 H_ENTER flags=0x0 pte_index=0x1f8 pteh=0x4000c0de00001005 ptel=0x2000000190 -> H_SUCCESS r4=0x1f9 # ok',
  );
  has(m, 'hcall', 'keyword.other.record.hptrace');
  has(m, '@1234.567890', 'constant.other.timestamp.hptrace');
  has(m, 'vcpu', 'variable.other.property.field.hptrace');
  has(m, 'H_ENTER', 'entity.name.function.hcall.hptrace');
  has(m, 'pteh', 'variable.parameter.argument.hptrace');
  has(m, '=', 'keyword.operator.assignment.hptrace');
  has(m, '0x4000c0de00001005', 'constant.numeric.hex.hptrace');
  has(m, '->', 'keyword.operator.result.hptrace');
  has(m, 'H_SUCCESS', 'constant.language.return.success.hptrace');
  has(m, 'r4', 'variable.parameter.argument.hptrace');
  has(m, '#', 'punctuation.definition.comment.hptrace');
  has(m, ' ok', 'comment.line.number-sign.hptrace');
});

test('failures are scoped apart from success', async () => {
  const m = await scopes('hcall H_ENTER 0x0 0x118 0x4000000000004085 0x20001106a -> H_PARAMETER');
  has(m, 'H_PARAMETER', 'invalid.illegal.return.failure.hptrace');
  assert.ok(!m.get('H_PARAMETER')!.some((s) => s.includes('success')));
});

test('configuration records: sizes, ranges, mapping kinds, cache modes, cpu names, decimal', async () => {
  const vma = await scopes('vma 0x3fff00000000-0x3fff00010000 pfnmap pgoff=0x80000 cache=I');
  has(vma, 'vma', 'keyword.other.record.hptrace');
  has(vma, '0x3fff00000000', 'constant.numeric.hex.hptrace');
  has(vma, '-', 'punctuation.separator.range.hptrace');
  has(vma, 'pfnmap', 'storage.type.mapping.hptrace');
  has(vma, 'I', 'support.constant.cache.hptrace');
  const mem = await scopes('memslot 1 gpa=0x200000000 size=64K hva=0x3fff00000000');
  has(mem, '1', 'constant.numeric.decimal.hptrace');
  has(mem, '64K', 'constant.numeric.size.hptrace');
  has(mem, 'gpa', 'variable.other.property.field.hptrace');
  const cpu = await scopes('cpu power7');
  has(cpu, 'power7', 'support.constant.cpu.hptrace');
  const hdr = await scopes('hptrace 1  # header');
  has(hdr, 'hptrace', 'keyword.other.record.hptrace');
  has(hdr, ' header', 'comment.line.number-sign.hptrace');
});

test('a hcall the tables do not know is still a function name, not a return code', async () => {
  const m = await scopes('hcall H_CEDE r4=0x1');
  has(m, 'H_CEDE', 'entity.name.function.hcall.other.hptrace');
});

test('every hcall name and return code from bits.ts is in the generated grammar', () => {
  const text = fs.readFileSync(grammarPath, 'utf8');
  for (const h of HCALLS) assert.ok(text.includes(h.name), `grammar has ${h.name}`);
  for (const c of RETURN_CODES) assert.ok(text.includes(c.name), `grammar has ${c.name}`);
});

test('every return code tokenizes with the right success/failure scope', async () => {
  for (const c of RETURN_CODES) {
    const m = await scopes(`hcall H_READ 0x0 0x0 -> ${c.name}`);
    has(m, c.name, c.value === 0 ? 'constant.language.return.success' : 'invalid.illegal.return.failure');
  }
  for (const h of HCALLS) has(await scopes(`hcall ${h.name}`), h.name, 'entity.name.function.hcall.hptrace');
});

test('format 2: coverage record, its state, reasons, capture kinds and host', async () => {
  const p = await scopes('coverage partial why=real-mode,passed-to-qemu from=ftrace,trace-cmd,htab host=power8 # p8');
  has(p, 'coverage', 'keyword.other.record.hptrace');
  has(p, 'partial', 'support.constant.coverage.partial.hptrace');
  has(p, 'why', 'variable.other.property.field.hptrace');
  has(p, 'real-mode', 'support.constant.coverage.reason.hptrace');
  has(p, 'passed-to-qemu', 'support.constant.coverage.reason.hptrace');
  has(p, ',', 'punctuation.separator.list.hptrace');
  has(p, 'from', 'variable.other.property.field.hptrace');
  has(p, 'ftrace', 'support.constant.capture.hptrace');
  has(p, 'trace-cmd', 'support.constant.capture.hptrace');
  has(p, 'htab', 'support.constant.capture.hptrace');
  has(p, 'host', 'variable.other.property.field.hptrace');
  has(p, 'power8', 'support.constant.cpu.host.hptrace');
  has(p, ' p8', 'comment.line.number-sign.hptrace');
  const c = await scopes('coverage complete why=virtual-mode host=power9');
  has(c, 'complete', 'support.constant.coverage.complete.hptrace');
  has(c, 'virtual-mode', 'support.constant.coverage.reason.hptrace');
  // A reason the parser does not know is marked, not passed as a reason.
  has(await scopes('coverage partial why=cosmic-rays'), 'cosmic-rays', 'invalid.illegal.coverage.reason.hptrace');
});

test('format 2: every coverage reason of records.ts is a reason in the grammar', async () => {
  const { COVERAGE_REASONS } = await import('../../../src/core/records');
  for (const r of COVERAGE_REASONS)
    has(await scopes(`coverage partial why=${r.code}`), r.code, 'support.constant.coverage.reason.hptrace');
});

test('format 2: hpte record with index, v, r and guest_r', async () => {
  const m = await scopes('hpte 0x1f8 v=0x4000c0de00001005 r=0x2000000190 guest_r=0x2000000192');
  has(m, 'hpte', 'keyword.other.record.hptrace');
  has(m, '0x1f8', 'constant.numeric.hex.hptrace');
  has(m, 'v', 'variable.other.property.field.hptrace');
  has(m, 'r', 'variable.other.property.field.hptrace');
  has(m, 'guest_r', 'variable.other.property.field.hptrace');
  has(m, '0x2000000192', 'constant.numeric.hex.hptrace');
  has(await scopes('hpte 504 v=0x1 r=0x0'), '504', 'constant.numeric.decimal.hptrace');
});

test('format 2: "?" as an unknown argument (named or by position) and as an unknown result', async () => {
  const named = await scopes('hcall H_BULK_REMOVE w0=0x8000000000001000 w1=0x0 w2=? w3=? -> H_SUCCESS');
  has(named, '?', 'constant.language.unknown.argument.hptrace');
  const pos = await scopes('hcall H_REMOVE 0x0 ? 0x0');
  has(pos, '?', 'constant.language.unknown.argument.hptrace');
  const res = await scopes('hcall H_ENTER flags=0x0 pte_index=0x1000 pteh=0x4000000000010005 ptel=0x192 -> ? # QEMU');
  has(res, '?', 'constant.language.return.unknown.hptrace');
  assert.ok(!res.get('?')!.some((s) => s.includes('argument')), 'the unknown result is not scoped as an argument');
  has(res, ' QEMU', 'comment.line.number-sign.hptrace');
});

// ---- structure: what keeps the grammar fast (scripts/bench-grammar.mjs measures it) ----------------

interface RawRule {
  include?: string;
  match?: string;
  begin?: string;
  end?: string;
  patterns?: RawRule[];
  captures?: Record<string, { name?: string }>;
}
const raw = (): { patterns: RawRule[]; repository: Record<string, RawRule> } =>
  JSON.parse(fs.readFileSync(grammarPath, 'utf8'));

test('structure: every top-level rule starts at the beginning of a line, except the comment', () => {
  const g = raw();
  // The rules the top-level scanner holds: includes resolved, as vscode-textmate flattens them.
  const flat = (r: RawRule, via: string): [string, RawRule][] =>
    r.include
      ? flat(g.repository[r.include.slice(1)], r.include.slice(1))
      : r.patterns && !r.begin
        ? r.patterns.flatMap((p) => flat(p, via))
        : [[via, r]];
  const top = g.patterns.flatMap((p) => flat(p, p.include ?? '?'));
  assert.ok(top.length >= 4);
  for (const [name, r] of top) {
    const re = r.match ?? r.begin ?? '';
    if (name === 'comment') assert.equal(re, '(#).*$', 'the comment is the one unanchored rule');
    else assert.ok(re.startsWith('^'), `top-level rule ${name} starts with ^: ${re.slice(0, 40)}`);
  }
  // The whole-line rules (the common hcall lines at the top level, the others first in otherLine)
  // are each one match rule, running to the comment or the end of the line.
  assert.deepEqual(g.repository.otherLine.patterns![0], { include: '#wholeLine' });
  const whole = [...g.repository.hcallLine.patterns!, ...g.repository.wholeLine.patterns!];
  assert.ok(whole.length >= 4);
  for (const r of whole) {
    assert.ok(r.match && !r.begin && !r.patterns, 'a whole-line rule is a single match');
    assert.ok(r.match.startsWith('^') && r.match.endsWith('\\s*(?=#|$)'), r.match.slice(0, 40));
  }
});

test('the whole-line rules give every token the scopes the token-by-token rules give it', async () => {
  // The same grammar without its whole-line rules (the token-by-token rules that are left are the
  // grammar as it was before them): on every line of the examples, the conformance cases, the
  // fixtures, a generated trace and some odd lines, both must make the same tokens with the same scopes.
  const g = raw();
  const tokenRules = g.repository.otherLine.patterns!.filter((p) => p.include !== '#wholeLine');
  const slow = await loadGrammar(
    JSON.stringify({
      ...g,
      patterns: [{ include: '#otherLine' }, { include: '#comment' }],
      repository: { ...g.repository, otherLine: { ...g.repository.otherLine, patterns: tokenRules } },
    }),
  );
  const fast = await grammar;
  const files: [string, string[]][] = [];
  for (const dir of ['examples', 'test/conformance', 'test/fixtures'])
    for (const f of fs.readdirSync(path.join(root, dir)).filter((n) => n.endsWith('.hptrace')))
      files.push([`${dir}/${f}`, fs.readFileSync(path.join(root, dir, f), 'utf8').split(/\r?\n/)]);
  const gen = spawnNode([path.join(root, 'scripts/gen.mjs'), '--hcalls', '1000', '--seed', '5'], { cwd: root });
  assert.equal(gen.status, 0, gen.stderr);
  files.push(['gen.mjs --hcalls 1000 --seed 5', gen.stdout.split('\n')]);
  files.push(['odd lines', oddLines()], ['every token of the whole-line rules', wholeLineFamilies()]);
  let lines = 0;
  for (const [name, text] of files) {
    let sf = vsctm.INITIAL;
    let ss = vsctm.INITIAL;
    text.forEach((line, i) => {
      const a = fast.tokenizeLine(line, sf);
      const b = slow.tokenizeLine(line, ss);
      sf = a.ruleStack;
      ss = b.ruleStack;
      const show = (r: vsctm.ITokenizeLineResult) =>
        r.tokens.map((t) => `${JSON.stringify(line.slice(t.startIndex, t.endIndex))} ${t.scopes.join(' ')}`);
      assert.deepEqual(show(a), show(b), `${name}:${i + 1}: ${line}`);
      lines++;
    });
  }
  assert.ok(lines > 1000, `${lines} lines compared`);

  // Every capture group of every whole-line rule took part in some line above, so each one's scope
  // was compared with the token-by-token rules'. The line goes to the first whole-line rule that
  // matches it, in this order, as in vscode-textmate (hcallLine's at the top level, then wholeLine's).
  const rules = [...g.repository.hcallLine.patterns!, ...g.repository.wholeLine.patterns!];
  const scanner = new oniguruma.OnigScanner(rules.map((r) => r.match!));
  const seen = rules.map((r) => new Set<number>(Object.keys(r.captures!).map(Number)));
  for (const [, text] of files)
    for (const line of text) {
      const m = scanner.findNextMatchSync(line + '\n', 0);
      if (m && m.captureIndices[0].start === 0)
        m.captureIndices.forEach((c, k) => c.length > 0 && seen[m.index].delete(k));
    }
  seen.forEach((left, i) => assert.deepEqual([...left], [], `whole-line rule ${i}: capture groups no line exercised`));
});

/** Lines on the edges of the whole-line rules, each also seen by the token-by-token rules. */
function oddLines(): string[] {
  return [
    'hcall @1.5 vcpu=0x1 0x3a8 r4=0x1 ? 12 -> ? r4=?',
    'hcall H_ENTER flags=0x0 pte_index=zz pteh=0x1 ptel=0x2 -> H_SUCCESS r4=0x1',
    'hcall H_CEDE why=real-mode host=power8 -> host=power9',
    'hcall H_SUCCESS H_SUCCESSX H_ H_Foo=1 ->H_PARAMETER # x',
    '  vma 0x1-0x2 anon page=16M cache=IW xcache=I colour=blue ? #c',
    'memslot 0 flags=0x1 gpa=0x0 size=1G delete=1 H_ENTER',
    'cpu power8',
    'coverage partial why=real-mode,cosmic-rays from=perf host=power7',
    'hpte 0x104 v=? r=0x0 guest_r=0x1',
    'hptrace\t2\t',
  ];
}

/** hcall and configuration lines with every kind of token in every place the whole-line rules have. */
function wholeLineFamilies(): string[] {
  const out: string[] = [];
  for (const value of ['0x1f', '7', '?'])
    for (const named of [true, false])
      for (const name of ['H_BULK_REMOVE', 'H_CEDE', '0x3a8', '42'])
        for (const ret of ['H_SUCCESS', 'H_PARAMETER', '?'])
          for (const nargs of [4, 8])
            for (const nout of [0, 2, 8]) {
              const args = Array.from({ length: nargs }, (_, i) => (named ? `w${i}=${value}` : value));
              const outs = Array.from({ length: nout }, (_, i) => `r${4 + i}=${value}`);
              const vcpu = value === '0x1f' ? 'vcpu=0x1' : 'vcpu=2';
              out.push(`hcall @3.25 ${vcpu} ${name} ${args.join(' ')} -> ${ret} ${outs.join(' ')}`.trimEnd());
              out.push(`  hcall @3 ${name} ${args.join(' ')}  -> ${ret}   # c`);
            }
  const tokens = [
    'flags=0x1',
    'page=16M',
    'colour=7',
    'pfn=?',
    'x=',
    '0x1-0x2',
    '64K',
    '0x1f',
    '12',
    '?',
    'anon',
    'cache=IW',
  ];
  for (const t of tokens)
    for (const rec of ['cpu power7', 'vma', ' memslot']) out.push(`${rec} ${Array(6).fill(t).join(' ')} #`);
  return out;
}
