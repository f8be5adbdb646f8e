/** The extension's settings (declared in package.json under contributes.configuration). */
import * as vscode from 'vscode';
import { KernelVariant } from '../core/machine';

export function settings() {
  const c = vscode.workspace.getConfiguration('hptrace');
  return {
    kernel: c.get<KernelVariant>('kernel', 'io'),
    decodeHints: c.get<boolean>('inlayHints.decode', true),
    resultHints: c.get<boolean>('inlayHints.results', true),
    resultHintsMaxLines: c.get<number>('inlayHints.resultsMaxLines', 20000),
    diagnosticsDelay: c.get<number>('diagnostics.delay', 250),
    inlineAdapter: c.get<boolean>('debugAdapter.inline', false),
  };
}
