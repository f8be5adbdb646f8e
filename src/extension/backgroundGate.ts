/**
 * Holds background work (the whole-file check of a large trace in the worker thread) while a debug
 * session is starting. On a machine with few cores that check (seconds of CPU for 200k hcalls)
 * competes with the adapter process, the extension host and the renderer for the first stop
 * (issue 12); it starts once the session has stopped, ended or failed, or after HOLD_MAX_MS.
 * No vscode import: unit-tested directly.
 */
export const HOLD_MAX_MS = 10_000;
/** Left after the release, so that the stop's views and inline values are drawn first. */
export const HOLD_AFTER_MS = 300;

let holds = 0;
let waiters: (() => void)[] = [];

/** Holds background work until `until` settles (or HOLD_MAX_MS), then HOLD_AFTER_MS more. */
export function holdBackground(until: PromiseLike<unknown>, maxMs = HOLD_MAX_MS, afterMs = HOLD_AFTER_MS): void {
  holds++;
  let done = false;
  const release = () => {
    if (done) return;
    done = true;
    clearTimeout(cap);
    setTimeout(() => {
      if (--holds === 0) {
        const w = waiters;
        waiters = [];
        w.forEach((f) => f());
      }
    }, afterMs);
  };
  const cap = setTimeout(release, maxMs);
  until.then(release, release);
}

/** Resolves at once when nothing holds background work, else when the last hold is released. */
export function backgroundClear(): Promise<void> {
  return holds === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve));
}

/** Whether background work is held now. */
export function backgroundHeld(): boolean {
  return holds > 0;
}
