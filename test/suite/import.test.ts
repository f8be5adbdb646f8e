// "hptrace: Import Captured Trace…" in a real extension host: the command runs the packaged CLI,
// opens the result, and the coverage shows as a CodeLens and a hover on the coverage record.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';

function findRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const captures = path.join(findRoot(__dirname), 'test', 'fixtures', 'captures');
const cap = (f: string) => path.join(captures, f);

interface Outcome {
  code: number | null;
  out: string;
  text: string;
}

describe('hptrace import command', function () {
  this.timeout(60000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-suite-import-'));

  it('imports a POWER9 capture, opens it, and shows its coverage as a CodeLens and a hover', async () => {
    const out = path.join(tmp, 'p9.hptrace');
    const r = (await vscode.commands.executeCommand('hptrace.importCapture', {
      hcalls: cap('p9-perf.txt'),
      memslots: cap('qemu-memslots.log'),
      smaps: cap('qemu.smaps'),
      set: ['host.cpu=power9', 'vma.0x3fff80000000.cache=I', 'vma.0x3fff80000000.pgoff=0x200000'],
      out,
    })) as Outcome;
    assert.strictEqual(r.code, 0, r.text);
    assert.match(r.text, /7 HPT hcalls written/);
    assert.ok(fs.readFileSync(out, 'utf8').startsWith('hptrace 2\n'));
    const ed = vscode.window.activeTextEditor;
    assert.strictEqual(ed?.document.uri.fsPath, out);
    const doc = ed!.document;
    const line = [...Array(doc.lineCount).keys()].find((i) => doc.lineAt(i).text.startsWith('coverage '))!;
    const lenses = (await vscode.commands.executeCommand(
      'vscode.executeCodeLensProvider',
      doc.uri,
    )) as vscode.CodeLens[];
    const lens = lenses.find((l) => l.range.start.line === line && l.command?.title.startsWith('Coverage:'));
    assert.ok(lens, `a coverage CodeLens on line ${line + 1}`);
    assert.match(lens!.command!.title, /^Coverage: COMPLETE \(virtual-mode/);
    const hovers = (await vscode.commands.executeCommand(
      'vscode.executeHoverProvider',
      doc.uri,
      new vscode.Position(line, 2),
    )) as vscode.Hover[];
    const text = hovers
      .flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : '')))
      .join('\n');
    assert.match(text, /This trace is COMPLETE/);
  });

  it('a POWER7 capture is marked partial in the CodeLens', async () => {
    const out = path.join(tmp, 'p7.hptrace');
    const r = (await vscode.commands.executeCommand('hptrace.importCapture', {
      hcalls: cap('p7-ftrace.txt'),
      htab: cap('htab-start.txt'),
      set: ['host.cpu=power7'],
      out,
    })) as Outcome;
    assert.strictEqual(r.code, 0, r.text);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(out));
    const lenses = (await vscode.commands.executeCommand(
      'vscode.executeCodeLensProvider',
      doc.uri,
    )) as vscode.CodeLens[];
    assert.ok(lenses.some((l) => /^Coverage: PARTIAL \(real-mode/.test(l.command?.title ?? '')));
  });

  it('a malformed capture fails with FILE:LINE:COL and writes nothing', async () => {
    const bad = path.join(tmp, 'bad.txt');
    fs.writeFileSync(
      bad,
      '# tracer: nop\n CPU 0/KVM-1 [000] .... 1.000001: kvm_hcall_enter: VCPU 0: hcall=H_READ GPR4-7=0x0,zz,0x0,0x0\n',
    );
    const out = path.join(tmp, 'never.hptrace');
    const r = (await vscode.commands.executeCommand('hptrace.importCapture', { hcalls: bad, out })) as Outcome;
    assert.strictEqual(r.code, 1);
    assert.match(r.text, /bad\.txt:2:\d+: expected GPR5 as 0x-prefixed hex/);
    assert.strictEqual(fs.existsSync(out), false);
  });
});
