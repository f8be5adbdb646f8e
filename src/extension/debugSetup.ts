/**
 * The hptrace debugger's VS Code side: where the adapter runs (in the extension host or as a child
 * process), and launch configurations filled in from the active editor when there is no launch.json.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { HptraceDebugSession } from '../debug/session';
import { holdBackground } from './backgroundGate';
import { DEBUG_TYPE } from './sessionState';
import { settings } from './settings';
import { mark } from './timing';

/** Waiters for the next first stop (or end) of an hptrace session: background work waits on it. */
let startWaiters: (() => void)[] = [];
function sessionSettled(): void {
  const w = startWaiters;
  startWaiters = [];
  w.forEach((f) => f());
}
/** Holds the background checks of large traces until an hptrace session stops or ends. */
function holdUntilFirstStop(extra?: PromiseLike<unknown>): void {
  holdBackground(
    new Promise<void>((resolve) => {
      startWaiters.push(resolve);
      extra?.then(
        (ok) => ok === false && resolve(),
        () => resolve(),
      );
    }),
  );
}

export function defaultConfiguration(trace: string): vscode.DebugConfiguration {
  return {
    type: DEBUG_TYPE,
    request: 'launch',
    name: 'Debug hptrace trace',
    trace,
    stopOnEntry: true,
    kernel: 'io',
    breakOn: ['H_PARAMETER', 'divergence'],
  };
}

function activeTracePath(): string | undefined {
  const ed = vscode.window.activeTextEditor;
  if (ed && ed.document.languageId === 'hptrace' && ed.document.uri.scheme === 'file') return ed.document.uri.fsPath;
  return undefined;
}

class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [defaultConfiguration('${file}')];
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    mark('resolve configuration');
    holdUntilFirstStop();
    if (!config.type && !config.request && !config.name) {
      // F5 without a launch.json: debug the trace in the active editor.
      const trace = activeTracePath();
      if (!trace) {
        void vscode.window.showInformationMessage(
          'Open an .hptrace file (saved on disk) to debug it, or add an hptrace configuration to launch.json.',
        );
        return undefined;
      }
      return defaultConfiguration(trace);
    }
    if (!config.trace) {
      const trace = activeTracePath();
      if (!trace) {
        void vscode.window.showErrorMessage(
          'hptrace: the launch configuration has no "trace" and the active editor is not a saved .hptrace file.',
        );
        return undefined;
      }
      config.trace = trace;
    }
    return config;
  }
}

class AdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly extensionPath: string) {}
  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    mark('adapter descriptor');
    // The default is a process of its own: reading and replaying a big trace must not compete with
    // the editor's hover, hints and typing on the extension host's one thread.
    if (settings().inlineAdapter) return new vscode.DebugAdapterInlineImplementation(new HptraceDebugSession());
    return new vscode.DebugAdapterExecutable(
      process.execPath,
      [path.join(this.extensionPath, 'dist', 'debugAdapter.js')],
      {
        env: { ELECTRON_RUN_AS_NODE: '1' },
      },
    );
  }
}

export function registerDebugSetup(ctx: vscode.ExtensionContext): void {
  ctx.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new ConfigurationProvider()),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      { provideDebugConfigurations: () => [defaultConfiguration('${file}')] },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new AdapterFactory(ctx.extensionPath)),
    vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: { type?: string; event?: string }) => {
          if (m.type === 'event' && (m.event === 'stopped' || m.event === 'terminated')) sessionSettled();
        },
        onExit: sessionSettled,
        onError: sessionSettled,
      }),
    }),
    vscode.debug.onDidTerminateDebugSession(sessionSettled),
  );
}

export async function startDebugging(uri: vscode.Uri | undefined, noDebug = false): Promise<boolean> {
  mark('command debugTrace');
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (!target || target.scheme !== 'file') {
    void vscode.window.showErrorMessage('hptrace: save the trace to a file first; the debugger reads it from disk.');
    return false;
  }
  const folder = vscode.workspace.getWorkspaceFolder(target);
  const started = vscode.debug.startDebugging(
    folder,
    { ...defaultConfiguration(target.fsPath), name: `Debug ${path.basename(target.fsPath)}` },
    { noDebug },
  );
  holdUntilFirstStop(started);
  return started;
}
