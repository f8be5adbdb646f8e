/**
 * Timing marks of the extension host for profiling (issue 12): off unless the environment names a
 * file in HPTRACE_TIMING. Then each mark is a line `MS LABEL` (ms since the epoch), plus a mark for
 * every stall of the host's event loop over 40 ms and for each DAP message of hptrace sessions.
 * scripts/bench-ui.mjs reads the file to say where the first stop's time went.
 */
import * as fs from 'fs';
import * as inspector from 'inspector';
import * as vscode from 'vscode';

const file = process.env.HPTRACE_TIMING;

export const timingOn = !!file;

export function mark(label: string): void {
  if (file) fs.appendFileSync(file, `${Date.now()} ${label}\n`);
}

/** Runs fn and marks its duration when it took 5 ms or more. */
export function timed<T>(label: string, fn: () => T): T {
  if (!file) return fn();
  const t0 = performance.now();
  try {
    return fn();
  } finally {
    const ms = performance.now() - t0;
    if (ms >= 5) mark(`${label} ${ms.toFixed(0)}ms`);
  }
}

/**
 * HPTRACE_CPUPROF=FILE (with HPTRACE_TIMING): a CPU profile of the extension host from activation
 * to the first stop of a debug session (plus 500 ms), written as a .cpuprofile.
 */
function startProfile(out: string): () => void {
  const s = new inspector.Session();
  s.connect();
  s.post('Profiler.enable', () =>
    s.post('Profiler.setSamplingInterval', { interval: 500 }, () => s.post('Profiler.start')),
  );
  mark('profile start');
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    setTimeout(
      () =>
        s.post('Profiler.stop', (err, r) => {
          if (!err) fs.writeFileSync(out, JSON.stringify(r.profile));
          mark(`profile written ${err ? err.message : out}`);
          s.disconnect();
        }),
      500,
    );
  };
}

export function registerTiming(ctx: vscode.ExtensionContext): void {
  if (!file) return;
  mark('activate');
  const stopProfile = process.env.HPTRACE_CPUPROF ? startProfile(process.env.HPTRACE_CPUPROF) : () => undefined;
  setTimeout(stopProfile, 120_000).unref();
  let last = performance.now();
  const t = setInterval(() => {
    const now = performance.now();
    if (now - last > 60) mark(`stall ${(now - last - 20).toFixed(0)}ms`);
    last = now;
  }, 20);
  ctx.subscriptions.push(
    { dispose: () => clearInterval(t) },
    vscode.workspace.onDidOpenTextDocument((d) => mark(`open ${d.languageId} ${d.lineCount} lines`)),
    vscode.debug.onDidStartDebugSession((s) => mark(`session started ${s.type}`)),
    vscode.debug.registerDebugAdapterTrackerFactory('hptrace', {
      createDebugAdapterTracker: () => ({
        onWillStartSession: () => mark('dap start'),
        onWillReceiveMessage: (m: { command?: string }) => mark(`dap -> ${m.command}`),
        onDidSendMessage: (m: { type?: string; command?: string; event?: string }) => {
          mark(`dap <- ${m.type === 'event' ? `event ${m.event}` : m.command}`);
          if (m.type === 'event' && m.event === 'stopped') stopProfile();
        },
      }),
    }),
  );
}
