// The extension in a real VS Code extension host: language, hover, diagnostics, outline, inlay
// hints, go to definition, and the Memslots / slot_phys views after a debug stop.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { HptraceTestApi } from '../../src/extension/extension';

function findRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const fixtures = path.join(findRoot(__dirname), 'test', 'fixtures');
const ioBar = vscode.Uri.file(path.join(fixtures, 'ext-io-bar.hptrace'));
const malformed = vscode.Uri.file(path.join(fixtures, 'ext-malformed.hptrace'));

async function until<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 10000,
): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function posOf(doc: vscode.TextDocument, needle: string, inLine?: string): vscode.Position {
  for (let i = 0; i < doc.lineCount; i++) {
    const t = doc.lineAt(i).text;
    if (inLine && !t.includes(inLine)) continue;
    const c = t.indexOf(needle);
    if (c >= 0) return new vscode.Position(i, c + 1);
  }
  throw new Error(`${needle} not in ${doc.uri.fsPath}`);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')))
    .join('\n');
}

describe('hptrace extension', function () {
  this.timeout(60000);
  let api: HptraceTestApi;
  let doc: vscode.TextDocument;

  before(async () => {
    doc = await vscode.workspace.openTextDocument(ioBar);
    await vscode.window.showTextDocument(doc);
    const ext = await until('the extension', () =>
      vscode.extensions.all.find((e) => e.packageJSON?.name === 'hptrace' && e.packageJSON?.contributes?.languages),
    );
    api = await until('activation', () => ext.isActive && (ext.exports as HptraceTestApi));
  });

  it('activates on a .hptrace file and sets its language', () => {
    assert.strictEqual(doc.languageId, 'hptrace');
    assert.ok(api.memslots && api.slotPhys && api.store);
  });

  it('hovers a known ptel with the field table, memslot and WIMG check', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      ioBar,
      posOf(doc, '0x20001106a'),
    );
    const md = hoverText(hovers);
    assert.match(md, /HPTE second doubleword \(r\)\*\* `0x20001106a`/);
    assert.match(md, /\| I \| 5 \| `0x1` \| cache-inhibited \|/);
    assert.match(md, /\*\*memslot 1\*\*/);
    assert.match(md, /fails hpte_cache_flags_ok → H_PARAMETER/);
  });

  it('hovers a known pteh with the v table', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      ioBar,
      posOf(doc, '0x4000000000001005'),
    );
    const md = hoverText(hovers);
    assert.match(md, /HPTE first doubleword \(v\)\*\* `0x4000000000001005` — 1T L V/);
    assert.match(md, /\| SSIZE \| 63:62 \| `0x1` \| 1T segment \|/);
  });

  it('reports diagnostics with exact ranges for a malformed file', async () => {
    const bad = await vscode.workspace.openTextDocument(malformed);
    assert.strictEqual(bad.languageId, 'hptrace');
    const diags = await until('diagnostics', () => {
      const d = vscode.languages.getDiagnostics(malformed);
      return d.length >= 4 && d;
    });
    const byLine = diags
      .map((d) => `${d.range.start.line + 1}:${d.range.start.character}-${d.range.end.character} ${d.message}`)
      .sort();
    const l6 = bad.lineAt(5).text;
    assert.ok(
      byLine.some((s) =>
        s.startsWith(`6:${l6.indexOf('colour')}-${l6.indexOf('colour') + 6} memslot: unknown field "colour"`),
      ),
      byLine.join('\n'),
    );
    assert.ok(
      byLine.some((s) => /^5:\d+-\d+ vma .* overlaps the live vma/.test(s)),
      byLine.join('\n'),
    );
    assert.ok(byLine.some((s) => /^7:.*expected a number/.test(s)));
    assert.ok(byLine.some((s) => /^8:.*expected a return code name/.test(s)));
    assert.strictEqual(vscode.languages.getDiagnostics(ioBar).length, 0);
  });

  it('re-checks after an edit', async () => {
    const untitled = await vscode.workspace.openTextDocument({
      language: 'hptrace',
      content: 'hptrace 1\ncpu power7\n',
    });
    await vscode.window.showTextDocument(untitled);
    const ed = vscode.window.activeTextEditor!;
    await ed.edit((e) => e.insert(new vscode.Position(2, 0), 'cpu power9\n'));
    const d = await until('diagnostic after edit', () => {
      const x = vscode.languages.getDiagnostics(untitled.uri);
      return x.length === 1 && x;
    });
    assert.match(d[0].message, /unknown cpu "power9"/);
    assert.deepStrictEqual([d[0].range.start.line, d[0].range.start.character, d[0].range.end.character], [2, 4, 10]);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    await vscode.window.showTextDocument(doc);
  });

  it('lists configuration, mappings, slots and hcalls in the outline', async () => {
    const syms = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
      'vscode.executeDocumentSymbolProvider',
      ioBar,
    );
    assert.deepStrictEqual(
      syms.map((s) => s.name),
      ['Configuration', 'Host mappings', 'Memory slots', 'Hcalls'],
    );
    assert.deepStrictEqual(
      syms[2].children.map((c) => c.name),
      ['memslot 0', 'memslot 1'],
    );
    assert.strictEqual(syms[3].children.length, 12);
  });

  it('shows inlay hints for HPTE words and emulated results', async () => {
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>(
      'vscode.executeInlayHintProvider',
      ioBar,
      range,
    );
    const labels = hints.map((h) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('')));
    assert.ok(labels.includes('64K 1T L V'), labels.join('\n'));
    assert.ok(labels.includes('RPN 0x200011000 WIMG WI-G PP 2'), labels.join('\n'));
    assert.ok(
      labels.some((l) => l.startsWith('⇒ H_PARAMETER: guest WIMG WI-G')),
      labels.join('\n'),
    );
  });

  it('goes from a ptel to its memslot and vma lines', async () => {
    const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      ioBar,
      posOf(doc, '0x20001106a'),
    );
    const lines = defs.map((d) => ('targetRange' in d ? d.targetRange : d.range).start.line).sort((a, b) => a - b);
    assert.deepStrictEqual(lines, [posOf(doc, 'pfnmap').line, posOf(doc, 'memslot 1').line]);
  });

  it('decodes a typed-in value through the command', async () => {
    const md = await vscode.commands.executeCommand<string>('hptrace.decodeValue', '0x2000100a1', 'slot_phys');
    assert.match(md, /\| NO_CACHE \| 5 \| `0x1` \| cache-inhibited \|/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('runs "Run (replay)" through the CLI as a child process and shows its report', async () => {
    // The command spawns dist/cli.js (never imports the CLI): its output is the CLI's replay report.
    const text = await vscode.commands.executeCommand<string>('hptrace.runTrace', ioBar);
    assert.match(text, /hcalls replayed with kernel io/);
    assert.match(text, /H_PARAMETER\s+\d+/);
    const bad = await vscode.commands.executeCommand<string>('hptrace.runTrace', malformed);
    assert.match(bad, /ext-malformed\.hptrace:\d+:\d+: /, 'a bad trace reports FILE:LINE:COL');
  });

  it('checks a large trace in the worker, hovers it from its skeleton, and follows edits', async () => {
    // 30k hcall lines after ext-io-bar's configuration, one of them malformed
    const head = fs
      .readFileSync(ioBar.fsPath, 'utf8')
      .split('\n')
      .filter((l) => !/^\s*hcall/.test(l));
    const body: string[] = [];
    for (let i = 0; i < 30000; i++)
      body.push(
        `hcall H_ENTER flags=0x0 pte_index=0x${(0x100 + (i % 64) * 8).toString(16)} pteh=0x4000000000001005 ptel=0x1000192`,
      );
    body[20000] = 'hcall H_ENTER flags=0x0 pte_index=0x100 pteh=0x4000000000001005 ptel=0xZZ';
    const file = path.join(os.tmpdir(), `hptrace-large-${process.pid}.hptrace`);
    fs.writeFileSync(file, [...head, ...body].join('\n') + '\n');
    const big = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    try {
      await vscode.window.showTextDocument(big);
      const badLine = head.length + 20000; // 0-based
      const diags = () => vscode.languages.getDiagnostics(big.uri);
      const first = await until('the worker check of the large trace', () => diags().length > 0 && diags(), 30000);
      assert.deepStrictEqual(
        first.map((d) => d.range.start.line),
        [badLine],
        first.map((d) => d.message).join('\n'),
      );
      assert.strictEqual(first[0].source, 'hptrace parser');
      const pos = posOf(big, '0x1000192', 'pte_index=0x108');
      const md = hoverText(
        await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', big.uri, pos),
      );
      assert.match(md, /HPTE second doubleword/);
      // an edit inside an hcall line reaches the worker as an edit: a second malformed value
      const other = head.length + 25000;
      const col = big.lineAt(other).text.indexOf('ptel=0x') + 'ptel='.length;
      const we = new vscode.WorkspaceEdit();
      we.replace(big.uri, new vscode.Range(other, col, other, col + 2), 'QQ');
      assert.ok(await vscode.workspace.applyEdit(we));
      await until('the edit checked', () => diags().length === 2, 30000);
      assert.deepStrictEqual(
        diags().map((d) => d.range.start.line),
        [badLine, other],
      );
      const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>(
        'vscode.executeDocumentSymbolProvider',
        big.uri,
      );
      const hcalls = symbols.find((s) => s.name === 'Hcalls');
      assert.ok(hcalls && hcalls.children.length === 30 && /large trace/.test(hcalls.detail), hcalls?.detail);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      fs.rmSync(file, { force: true });
    }
  });

  it('fills the Memslots and slot_phys views at a stop on H_PARAMETER', async () => {
    assert.deepStrictEqual(api.memslots.getChildren(), [], 'empty before a session');
    await vscode.window.showTextDocument(doc);
    const started = await vscode.debug.startDebugging(undefined, {
      type: 'hptrace',
      request: 'launch',
      name: 'ext views',
      trace: ioBar.fsPath,
      stopOnEntry: false,
      breakOn: ['H_PARAMETER'],
    });
    assert.ok(started, 'debug session started');
    try {
      const line = posOf(doc, '0x20001106a').line + 1;
      const st = await until('a stop on H_PARAMETER', () => api.store.state?.line === line && api.store.state, 20000);
      assert.strictEqual(st.hcall?.ret, 'H_PARAMETER');
      const slots = api.memslots.getChildren();
      assert.deepStrictEqual(
        slots.map((s) => api.memslots.getTreeItem(s).label),
        ['memslot 0', 'memslot 1'],
      );
      const m1 = api.memslots.getTreeItem(slots[1]);
      assert.strictEqual(String(m1.description), '0x200000000 · I/O ◀');
      // The current hcall's memslot opens, the other stays closed.
      assert.deepStrictEqual(
        slots.map((s) => api.memslots.getTreeItem(s).collapsibleState),
        [vscode.TreeItemCollapsibleState.Collapsed, vscode.TreeItemCollapsibleState.Expanded],
      );
      assert.strictEqual(api.memslots.currentNode(), slots[1]);
      assert.match((m1.tooltip as vscode.MarkdownString).value, /\| cache bits \| I \|/);
      const fields = api.memslots
        .getChildren(slots[1])
        .map((f) => `${api.memslots.getTreeItem(f).label}=${api.memslots.getTreeItem(f).description}`);
      assert.ok(fields.includes('hva=0x3fff80000000'), fields.join(', '));

      const physSlots = api.slotPhys.getChildren();
      assert.deepStrictEqual(
        physSlots.map((s) => api.slotPhys.getTreeItem(s).label),
        ['slot 0', 'slot 1'],
      );
      assert.deepStrictEqual(
        physSlots.map((s) => [api.slotPhys.getTreeItem(s).collapsibleState, api.slotPhys.getTreeItem(s).description]),
        [
          [vscode.TreeItemCollapsibleState.Collapsed, '512 set'],
          [vscode.TreeItemCollapsibleState.Expanded, 'I/O · 1 set ◀'],
        ],
      );
      const entries = api.slotPhys.getChildren(physSlots[1]);
      const items = entries.map((e) => api.slotPhys.getTreeItem(e));
      assert.strictEqual(items.length, 1);
      assert.match(String(items[0].label), /^\[0x1\] 0x/);
      assert.strictEqual(String(items[0].description), 'NO_CACHE ◀');
      assert.match((items[0].tooltip as vscode.MarkdownString).value, /used by the current hcall/);
      assert.strictEqual(items[0].contextValue, 'hptrace.slotPhysEntry');
      assert.strictEqual(api.slotPhys.currentNode(), entries[0]);
      // 16M huge pages over 64K host pages: order 8; the 512 entries come in pages with "Load more…".
      const ramNodes = api.slotPhys.getChildren(physSlots[0]);
      const ram = ramNodes
        .filter((e) => e.kind === 'entry')
        .map((e) => (api.slotPhys.getTreeItem(e).tooltip as vscode.MarkdownString).value);
      assert.ok(ram.length > 0 && ram.every((d) => /, order 8/.test(d)), ram.join('\n'));
      assert.strictEqual(ramNodes[ramNodes.length - 1].kind, 'more');
      await vscode.commands.executeCommand('hptrace.loadMoreSlotPhys', 0);
      assert.ok(api.slotPhys.getChildren(physSlots[0]).length > ramNodes.length);

      const json = await vscode.commands.executeCommand<string>('hptrace.exportState');
      const parsed = JSON.parse(json);
      assert.strictEqual(parsed.memslots.length, 2);
      assert.ok(parsed.slotPhys[1].some((e: { index: number }) => e.index === 1));
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      await vscode.debug.stopDebugging();
    }
    await until('views cleared after the session', () => api.memslots.getChildren().length === 0);
  });
});
