/**
 * Entry point of the VS Code extension. The only layer that imports `vscode`; it talks to the debug
 * adapter through DAP alone. activate() returns a small API object that the extension-host tests use
 * to read the views' contents.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { registerDebugSetup } from './debugSetup';
import { registerImport } from './importCommand';
import { TraceDiagnostics } from './diagnostics';
import { registerInlineValues } from './inlineValues';
import { registerLanguageFeatures } from './languageFeatures';
import { registerOverview } from './overview/overviewPanel';
import { SessionState } from './sessionState';
import { mark, registerTiming } from './timing';
import { MemslotsProvider, SlotPhysProvider } from './views';

export interface HptraceTestApi {
  store: SessionState;
  memslots: MemslotsProvider;
  slotPhys: SlotPhysProvider;
  diagnostics: TraceDiagnostics;
}

export function activate(ctx: vscode.ExtensionContext): HptraceTestApi {
  registerTiming(ctx);
  const output = vscode.window.createOutputChannel('hptrace');
  const diagnostics = new TraceDiagnostics(path.join(ctx.extensionPath, 'dist', 'traceWorker.js'));
  const store = new SessionState();
  const memslots = new MemslotsProvider(store);
  const slotPhys = new SlotPhysProvider(store);
  ctx.subscriptions.push(output, diagnostics, store);

  registerLanguageFeatures(ctx);
  registerDebugSetup(ctx);
  registerInlineValues(ctx, store);
  registerCommands(ctx, store, output);
  registerOverview(ctx, store);
  registerImport(ctx, output); // "Import Captured Trace…" and the coverage CodeLens (importCommand.ts)

  const slotViews: vscode.TreeView<unknown>[] = [];
  const memViews: vscode.TreeView<unknown>[] = [];
  for (const id of ['hptrace.memslots', 'hptrace.explorer.memslots']) {
    const view = vscode.window.createTreeView(id, { treeDataProvider: memslots, showCollapseAll: true });
    memViews.push(view as vscode.TreeView<unknown>);
    ctx.subscriptions.push(view);
  }
  for (const id of ['hptrace.slotPhys', 'hptrace.explorer.slotPhys']) {
    const view = vscode.window.createTreeView(id, { treeDataProvider: slotPhys, showCollapseAll: true });
    slotViews.push(view as vscode.TreeView<unknown>);
    ctx.subscriptions.push(view);
  }
  // Lead with what the stop is about: reveal (and open) the memslot and the slot_phys entry the
  // current hcall used, in whichever of the views are on screen.
  const reveal = <T>(views: vscode.TreeView<unknown>[], node: T | undefined, select: boolean) => {
    if (!node) return;
    for (const v of views)
      if (v.visible)
        void (v as vscode.TreeView<T>)
          .reveal(node, { select, focus: false, expand: true })
          .then(undefined, () => undefined);
  };
  ctx.subscriptions.push(
    store.onDidChange(() => {
      reveal(memViews, memslots.currentNode(), false);
      reveal(slotViews, slotPhys.currentNode(), true);
    }),
  );

  mark('activated');
  return { store, memslots, slotPhys, diagnostics };
}

export function deactivate(): void {
  // Everything is in ctx.subscriptions.
}
