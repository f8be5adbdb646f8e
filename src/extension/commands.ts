/**
 * The palette and context-menu commands: debug or replay the trace, decode a value, export the
 * machine state at the current stop, reveal the current record, copy view values, and break when a
 * slot_phys entry changes.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { WordKind } from '../core/bits';
import { parseU64 } from '../core/u64';
import { dataLabel, DataWatch, formatDataId } from '../debug/protocol';
import { runCli } from './cliProcess';
import { startDebugging } from './debugSetup';
import { decodeValueMarkdown } from './hoverText';
import { SessionState } from './sessionState';
import { copyTextOf, MemslotNode, SlotPhysNode } from './views';
import { settings } from './settings';

function traceUriOf(session: vscode.DebugSession | undefined): vscode.Uri | undefined {
  const t = session?.configuration.trace;
  return typeof t === 'string' ? vscode.Uri.file(t) : undefined;
}

export function registerCommands(
  ctx: vscode.ExtensionContext,
  store: SessionState,
  output: vscode.OutputChannel,
): void {
  /** Data breakpoints this extension asked for, per session (setDataBreakpoints replaces the set). */
  const dataBps = new WeakMap<vscode.DebugSession, { dataId: string; accessType?: string }[]>();
  const reg = (id: string, fn: (...args: never[]) => unknown) =>
    ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));

  reg('hptrace.debugTrace', (uri?: vscode.Uri) => startDebugging(uri instanceof vscode.Uri ? uri : undefined));

  reg('hptrace.runTrace', async (uri?: vscode.Uri) => {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || target.scheme !== 'file') {
      void vscode.window.showErrorMessage('hptrace: replay needs a trace saved to a file.');
      return undefined;
    }
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
    if (doc?.isDirty) await doc.save();
    const args = ['replay', target.fsPath, '--kernel', settings().kernel];
    const r = await runCli(ctx, `hptrace: replaying ${path.basename(target.fsPath)}`, args);
    const code = r.code;
    const text = r.error
      ? r.text + `hptrace: could not start the CLI: ${r.error.message}\n`
      : r.text + (r.signal ? `(cancelled)\n` : '');
    output.clear();
    output.appendLine(
      `$ hptrace replay ${path.basename(target.fsPath)} --kernel ${settings().kernel}   (exit ${code ?? 'cancelled'})`,
    );
    output.append(text);
    output.show(true);
    return text;
  });

  reg('hptrace.decodeValue', async (value?: string, as?: WordKind | 'all') => {
    const input =
      value ??
      (await vscode.window.showInputBox({
        title: 'hptrace: decode a 64-bit value',
        prompt: 'An HPTE word (pteh/ptel) or a slot_phys entry: 0x-prefixed hex or decimal',
        placeHolder: '0x4000000000001005',
        validateInput: (s) => (parseU64(s.trim().replace(/_/g, '')) ? undefined : 'not a 64-bit number'),
      }));
    if (!input) return undefined;
    const kind =
      as ??
      ((
        await vscode.window.showQuickPick(
          [
            { label: 'all', description: 'as v, r and slot_phys' },
            { label: 'v', description: 'HPTE first doubleword (pteh)' },
            { label: 'r', description: 'HPTE second doubleword (ptel)' },
            { label: 'slot_phys', description: 'slot_phys entry' },
          ],
          { title: 'Decode as' },
        )
      )?.label as WordKind | 'all' | undefined);
    if (!kind) return undefined;
    const md = decodeValueMarkdown(input, kind, store.state?.pageSize ?? 65536);
    if (!md) return undefined;
    const doc = await vscode.workspace.openTextDocument({ content: md + '\n', language: 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
    return md;
  });

  reg('hptrace.exportState', async () => {
    if (!store.session || !store.state) {
      void vscode.window.showInformationMessage('hptrace: no stopped hptrace debug session to export.');
      return undefined;
    }
    // `final`: the shape of replay --json's final object and `hptrace state --json` (overview worker).
    const { final } = (await store.session.customRequest('hptrace.state')) as { final: unknown };
    const json = JSON.stringify({ ...store.state, slotPhys: await store.allSlotPhys(), final }, null, 2);
    // Always a new untitled document: the user's trace file is never written.
    const doc = await vscode.workspace.openTextDocument({ content: json, language: 'json' });
    await vscode.window.showTextDocument(doc, { preview: false });
    return json;
  });

  reg('hptrace.revealRecord', async () => {
    const uri = traceUriOf(store.session);
    if (!uri || !store.state) {
      void vscode.window.showInformationMessage('hptrace: no stopped hptrace debug session.');
      return;
    }
    const line = Math.max(store.state.line - 1, 0);
    const ed = await vscode.window.showTextDocument(uri, { preserveFocus: false });
    const range = new vscode.Range(line, 0, line, 0);
    ed.selection = new vscode.Selection(range.start, range.start);
    ed.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  });

  reg('hptrace.copyValue', async (node?: MemslotNode | SlotPhysNode) => {
    if (!node) return;
    await vscode.env.clipboard.writeText(copyTextOf(node));
  });

  reg('hptrace.loadMoreSlotPhys', (slot: number) => store.loadMore(slot));
  reg('hptrace.refreshViews', () => store.session && store.refresh());

  reg('hptrace.breakOnEntryChange', async (node?: SlotPhysNode) => {
    const session = store.session;
    if (!session || !node || node.kind !== 'entry') return;
    const watch: DataWatch = { kind: 'slot_phys', slot: node.slot, index: node.entry.index };
    const name = dataLabel(watch);
    try {
      // Ask the adapter for the entry's data id first (as its Variables view does), else build it
      // with the one formatter of data ids (src/debug/protocol.ts).
      const info = (await session.customRequest('dataBreakpointInfo', { name }).then(undefined, () => undefined)) as
        { dataId: string | null } | undefined;
      const dataId = info?.dataId ?? formatDataId(watch);
      const list = dataBps.get(session) ?? [];
      if (!list.some((b) => b.dataId === dataId)) list.push({ dataId, accessType: 'write' });
      dataBps.set(session, list);
      await session.customRequest('setDataBreakpoints', { breakpoints: list });
      void vscode.window.showInformationMessage(`hptrace: will break when ${name} changes.`);
    } catch (e) {
      void vscode.window.showWarningMessage(
        `hptrace: the debug adapter refused a data breakpoint on ${name}: ${e instanceof Error ? e.message : e}`,
      );
    }
  });
}
