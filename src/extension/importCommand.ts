/**
 * "hptrace: Import Captured Trace…": file pickers for each capture, `hptrace import` run as a child
 * process (the packaged dist/cli.js) with progress and cancel, then the result opened. Also the
 * CodeLens that states a trace's coverage on its coverage record (format 2).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { coverageMessage } from '../core/coverage';
import { parseLineGeneric } from '../core/parser';
import { CoverageRecord } from '../core/records';
import { importTempPath } from '../import/importer';
import { runCli } from './cliProcess';

/** What the command takes when called with arguments (tests, other extensions); pickers otherwise. */
export interface ImportArgs {
  hcalls: string;
  memslots?: string;
  maps?: string;
  smaps?: string;
  htab?: string;
  set?: string[];
  out: string;
}

export interface ImportOutcome {
  code: number | null;
  out: string;
  /** What the CLI printed (summary or error). */
  text: string;
}

async function pick(title: string, optional: boolean): Promise<string | undefined | null> {
  const r = await vscode.window.showOpenDialog({
    title: `hptrace import: ${title}${optional ? ' (Cancel to skip)' : ''}`,
    canSelectMany: false,
    openLabel: 'Use this capture',
  });
  if (!r || !r.length) return optional ? undefined : null;
  return r[0].fsPath;
}

async function askArgs(): Promise<ImportArgs | undefined> {
  const hcalls = await pick('hcall events (raw ftrace, trace-cmd report or perf script)', false);
  if (!hcalls) return undefined;
  const memslots = (await pick('memory slots (QEMU -trace kvm_set_user_memory log or strace)', true)) ?? undefined;
  const smaps = (await pick('QEMU /proc/PID/smaps or maps', true)) ?? undefined;
  const htab = (await pick('htab dump taken at the start', true)) ?? undefined;
  const set = await vscode.window.showInputBox({
    title: 'hptrace import: values no capture holds (optional)',
    prompt:
      'Space-separated KEY=VALUE: host.cpu=power7|power9 cpu=power7|ppc970 host.page=64K|4K hpt.order=N vma.0xSTART.cache=I …',
    value: '',
  });
  if (set === undefined) return undefined;
  const save = await vscode.window.showSaveDialog({
    title: 'hptrace import: save the trace as',
    defaultUri: vscode.Uri.file(hcalls.replace(/(\.[^./\\]*)?$/, '.hptrace')),
    filters: { 'hptrace trace': ['hptrace'] },
  });
  if (!save) return undefined;
  const smapsIsMaps = smaps && !/smaps/i.test(path.basename(smaps));
  return {
    hcalls,
    memslots,
    ...(smapsIsMaps ? { maps: smaps } : { smaps }),
    htab,
    set: set.split(/\s+/).filter(Boolean),
    out: save.fsPath,
  };
}

/** Runs `hptrace import` in a child process with a cancellable progress notification. */
export function runImport(ctx: vscode.ExtensionContext, a: ImportArgs): Thenable<ImportOutcome> {
  const args = ['import', '--hcalls', a.hcalls];
  for (const k of ['memslots', 'maps', 'smaps', 'htab'] as const) {
    const v = a[k];
    if (v) args.push(`--${k}`, v);
  }
  for (const s of a.set ?? []) args.push('--set', s);
  args.push('-o', a.out);
  return runCli(ctx, `hptrace: importing ${path.basename(a.hcalls)}`, args, { progress: true }).then((r) => {
    if (r.error) return { code: null, out: a.out, text: `could not start the CLI: ${r.error.message}` };
    // a cancelled import is killed before it can remove its temporary file
    if (r.signal && r.pid) fs.rmSync(importTempPath(a.out, r.pid), { force: true });
    return { code: r.signal ? null : r.code, out: a.out, text: r.text + (r.signal ? '(cancelled)\n' : '') };
  });
}

/** The coverage record of a document, if it has one before its first hpte or hcall record. */
export function documentCoverage(doc: vscode.TextDocument): CoverageRecord | undefined {
  const st = { file: doc.uri.fsPath, sawHeader: false, sawHcall: false, sawHostObject: false, version: 0 };
  for (let i = 0; i < Math.min(doc.lineCount, 2000); i++) {
    try {
      const rec = parseLineGeneric(st, i + 1, doc.lineAt(i).text);
      if (!rec) continue;
      if (rec.kind === 'coverage') return rec;
      if (rec.kind === 'hcall' || rec.kind === 'hpte' || st.version === 1) return undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function registerImport(ctx: vscode.ExtensionContext, output: vscode.OutputChannel): void {
  ctx.subscriptions.push(
    vscode.commands.registerCommand('hptrace.importCapture', async (given?: ImportArgs) => {
      const a = given ?? (await askArgs());
      if (!a) return undefined;
      const r = await runImport(ctx, a);
      output.appendLine(`$ hptrace import --hcalls ${a.hcalls} … -o ${a.out}   (exit ${r.code ?? 'cancelled'})`);
      output.append(r.text);
      if (r.code === 0) {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(a.out));
        await vscode.window.showTextDocument(doc);
      } else if (r.code !== null) {
        void vscode.window.showErrorMessage(`hptrace import failed: ${r.text.split('\n')[0]}`);
      }
      return r;
    }),
    vscode.languages.registerCodeLensProvider(
      { language: 'hptrace' },
      {
        provideCodeLenses(doc) {
          const cov = documentCoverage(doc);
          if (!cov) return [];
          const range = new vscode.Range(cov.line - 1, 0, cov.line - 1, 0);
          const title = `Coverage: ${cov.coverage.toUpperCase()}${cov.why.length ? ` (${cov.why.join(', ')})` : ''}`;
          return [
            new vscode.CodeLens(range, {
              title,
              tooltip: coverageMessage(cov),
              command: 'hptrace.showCoverage',
              arguments: [coverageMessage(cov)],
            }),
          ];
        },
      },
    ),
    vscode.commands.registerCommand('hptrace.showCoverage', (msg?: string) => {
      if (msg) void vscode.window.showInformationMessage(msg, { modal: false });
    }),
  );
}
