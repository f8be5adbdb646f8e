/**
 * Hover, outline, go to definition and inlay hints for *.hptrace documents. The text of each comes
 * from the pure builders (hoverText, symbolTree, definitionTargets, inlayText).
 */
import * as vscode from 'vscode';
import { definitionTargets } from './definitionTargets';
import { LANGUAGE_ID } from './diagnostics';
import { hoverAt } from './hoverText';
import { lineHints } from './inlayText';
import { cachedModel, isLarge, largeHcallsNode, modelOf } from './modelCache';
import { settings } from './settings';
import { buildSymbols, SymbolKindName, SymbolNode } from './symbolTree';
import { timed } from './timing';

const KIND: Record<SymbolKindName, vscode.SymbolKind> = {
  namespace: vscode.SymbolKind.Namespace,
  property: vscode.SymbolKind.Property,
  struct: vscode.SymbolKind.Struct,
  field: vscode.SymbolKind.Field,
  function: vscode.SymbolKind.Function,
  event: vscode.SymbolKind.Event,
  file: vscode.SymbolKind.File,
};

function toSymbol(doc: vscode.TextDocument, n: SymbolNode): vscode.DocumentSymbol {
  const start = new vscode.Position(n.line - 1, 0);
  const range = new vscode.Range(start, doc.lineAt(Math.min(n.endLine, doc.lineCount) - 1).range.end);
  const sel = new vscode.Range(start, doc.lineAt(n.line - 1).range.end);
  const s = new vscode.DocumentSymbol(n.name, n.detail, KIND[n.kind], range, sel);
  s.children = n.children.map((c) => toSymbol(doc, c));
  return s;
}

function documentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
  // A large document's model is its skeleton: configuration from it, hcalls as line groups.
  const nodes = buildSymbols(modelOf(doc).records);
  const groups = largeHcallsNode(doc);
  if (groups) nodes.push(groups);
  return nodes.map((n) => toSymbol(doc, n));
}

/** Whether this document is small enough to replay for result hints. */
export function resultsEnabled(doc: vscode.TextDocument): boolean {
  const s = settings();
  return s.resultHints && doc.lineCount <= s.resultHintsMaxLines;
}

class TraceInlayHints implements vscode.InlayHintsProvider {
  readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeInlayHints = this.changed.event;

  provideInlayHints(
    doc: vscode.TextDocument,
    range: vscode.Range,
    token: vscode.CancellationToken,
  ): vscode.ProviderResult<vscode.InlayHint[]> {
    if (isLarge(doc) && !cachedModel(doc))
      // as the outline: messages already received (a debug command) go before the skeleton's build
      return new Promise((resolve) =>
        setImmediate(() =>
          resolve(token.isCancellationRequested ? [] : timed('inlay', () => this.hints(doc, range, token))),
        ),
      );
    return timed('inlay', () => this.hints(doc, range, token));
  }

  private hints(doc: vscode.TextDocument, range: vscode.Range, token: vscode.CancellationToken): vscode.InlayHint[] {
    const s = settings();
    if (!s.decodeHints && !s.resultHints) return [];
    const model = modelOf(doc);
    const outcomes = resultsEnabled(doc) ? model.replay() : undefined;
    const hints: vscode.InlayHint[] = [];
    for (let i = range.start.line; i <= range.end.line && i < doc.lineCount; i++) {
      if (token.isCancellationRequested) return hints;
      const text = doc.lineAt(i).text;
      if (!text.includes('hcall')) continue;
      for (const h of lineHints(text, model.host(), { decode: s.decodeHints }, outcomes?.get(i + 1))) {
        const hint = new vscode.InlayHint(
          new vscode.Position(i, h.col),
          h.label,
          h.kind === 'decode' ? vscode.InlayHintKind.Type : vscode.InlayHintKind.Parameter,
        );
        hint.paddingLeft = true;
        if (h.tooltip) hint.tooltip = h.tooltip;
        hints.push(hint);
      }
    }
    return hints;
  }
}

export function registerLanguageFeatures(ctx: vscode.ExtensionContext): { inlayHints: TraceInlayHints } {
  const sel: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const inlayHints = new TraceInlayHints();
  ctx.subscriptions.push(
    vscode.languages.registerHoverProvider(sel, {
      provideHover(doc, pos) {
        const h = timed('hover', () => hoverAt(modelOf(doc), pos.line + 1, pos.character, doc.lineAt(pos.line).text));
        if (!h) return undefined;
        const md = new vscode.MarkdownString(h.markdown);
        md.supportHtml = false;
        return new vscode.Hover(md, new vscode.Range(pos.line, h.start, pos.line, h.end));
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(sel, {
      provideDocumentSymbols(doc) {
        // A large document not yet modelled: let the messages already received go first (a
        // "Debug This Trace" right after opening must not queue behind the skeleton's build).
        if (isLarge(doc) && !cachedModel(doc))
          return new Promise<vscode.DocumentSymbol[]>((resolve) =>
            setImmediate(() => resolve(timed('symbols', () => documentSymbols(doc)))),
          );
        return timed('symbols', () => documentSymbols(doc));
      },
    }),
    vscode.languages.registerDefinitionProvider(sel, {
      provideDefinition(doc, pos) {
        const targets = definitionTargets(modelOf(doc), pos.line + 1, pos.character, doc.lineAt(pos.line).text);
        return targets.map((t): vscode.LocationLink => ({
          originSelectionRange: new vscode.Range(pos.line, t.originStart, pos.line, t.originEnd),
          targetUri: doc.uri,
          targetRange: doc.lineAt(t.line - 1).range,
          targetSelectionRange: doc.lineAt(t.line - 1).range,
        }));
      },
    }),
    vscode.languages.registerInlayHintsProvider(sel, inlayHints),
    inlayHints.changed,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('hptrace')) inlayHints.changed.fire();
    }),
  );
  return { inlayHints };
}
