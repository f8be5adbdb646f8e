/**
 * The packaged CLI (dist/cli.js) run as a child process under a cancellable progress notification:
 * the extension host never blocks on a long replay or import, and Cancel ends the child.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';

export interface CliRun {
  /** Exit code; null when the child was killed (cancelled) or could not start. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Standard output and error as they came, without `progress` lines. */
  text: string;
  pid?: number;
  /** Set when the child could not be started. */
  error?: Error;
}

/**
 * Runs `hptrace ARGS`. With `progress`, the CLI is asked (HPTRACE_PROGRESS=1) for `progress DONE
 * TOTAL` lines on standard error, which move the notification's bar instead of going into `text`.
 */
export function runCli(
  ctx: vscode.ExtensionContext,
  title: string,
  args: string[],
  opts: { progress?: boolean } = {},
): Thenable<CliRun> {
  const cli = path.join(ctx.extensionPath, 'dist', 'cli.js');
  const env = { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...(opts.progress ? { HPTRACE_PROGRESS: '1' } : {}) };
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    (progress, token) =>
      new Promise<CliRun>((resolve) => {
        // --no-concurrent-recompilation: Node 20 can hang at exit otherwise (nodejs/node#54918).
        const child = spawn(process.execPath, ['--no-concurrent-recompilation', cli, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env,
        });
        let text = '';
        let errBuf = '';
        let last = 0;
        child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          if (!opts.progress) {
            text += d;
            return;
          }
          errBuf += d;
          let nl: number;
          while ((nl = errBuf.indexOf('\n')) >= 0) {
            const line = errBuf.slice(0, nl);
            errBuf = errBuf.slice(nl + 1);
            const m = /^progress (\d+) (\d+)$/.exec(line);
            if (m) {
              const pct = Math.floor((100 * Number(m[1])) / Math.max(1, Number(m[2])));
              progress.report({ increment: pct - last, message: `${pct}%` });
              last = pct;
            } else text += line + '\n';
          }
        });
        token.onCancellationRequested(() => child.kill());
        child.on('error', (error) => resolve({ code: null, signal: null, text, error }));
        child.on('close', (code, signal) => resolve({ code, signal, text: text + errBuf, pid: child.pid }));
      }),
  );
}
