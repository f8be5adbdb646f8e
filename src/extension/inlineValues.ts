/**
 * Inline values while stopped: on the current record's line, the emulated result and the decoded
 * HPTE words; on the lines around it, the hcall arguments looked up as variables of the stop.
 */
import * as vscode from 'vscode';
import { hcallLayout } from './hcallLayout';
import { lineHints } from './inlayText';
import { modelOf } from './modelCache';
import { SessionState } from './sessionState';
import { mark } from './timing';

export function registerInlineValues(ctx: vscode.ExtensionContext, store: SessionState): void {
  ctx.subscriptions.push(
    vscode.languages.registerInlineValuesProvider(
      { language: 'hptrace' },
      {
        provideInlineValues(doc, viewPort, context) {
          mark('inline values');
          const out: vscode.InlineValue[] = [];
          const line = context.stoppedLocation.start.line;
          if (line < viewPort.start.line || line > viewPort.end.line || line >= doc.lineCount) return out;
          const text = doc.lineAt(line).text;
          const l = hcallLayout(text);
          if (!l) return out;
          const st = store.state;
          if (st?.hcall && st.line === line + 1) {
            out.push(
              new vscode.InlineValueText(
                new vscode.Range(line, l.end, line, l.end),
                `⇒ ${st.hcall.ret ?? 'not yet run'}`,
              ),
            );
          }
          for (const h of lineHints(text, modelOf(doc).host(), { decode: true })) {
            out.push(new vscode.InlineValueText(new vscode.Range(line, h.col, line, h.col), h.label));
          }
          for (const a of l.args)
            out.push(
              new vscode.InlineValueVariableLookup(
                new vscode.Range(line, a.start, line, a.valueStart > a.start ? a.valueStart - 1 : a.end),
                a.name,
                false,
              ),
            );
          return out;
        },
      },
    ),
  );
}
