/**
 * The one way tests run a short-lived Node script (the CLI, scripts/*.mjs) as a child process:
 * spawnSync(process.execPath, ...) with the exit-deadlock guard and a timeout that is always there.
 */
import { spawnSync, SpawnSyncOptions, SpawnSyncReturns } from 'child_process';

/**
 * Node 20 can hang at exit (nodejs/node#54918): the main thread waits in NodePlatform::DrainTasks
 * for a concurrent Turbofan compile job that is itself parked waiting for a garbage collection.
 * Without concurrent recompilation there is no such job. V8 sets up its compile dispatcher at
 * start-up, so the flag must be on the command line, before the script (NODE_OPTIONS refuses it).
 */
export const NODE_GUARD_FLAGS: readonly string[] = ['--no-concurrent-recompilation'];

/** Default timeout of a child; a test that expects a longer run passes its own. */
export const SPAWN_TIMEOUT_MS = 120_000;

export type SpawnNodeOptions = Omit<SpawnSyncOptions, 'encoding'>;

/** What spawnNode throws when the child could not finish (timed out, output over maxBuffer, did not start). */
export class SpawnNodeError extends Error {
  constructor(
    message: string,
    /** ETIMEDOUT, ENOBUFS, ... (from spawnSync's error) */
    readonly code: string | undefined,
    readonly result: SpawnSyncReturns<string>,
  ) {
    super(message);
    this.name = 'SpawnNodeError';
  }
}

const tail = (s: string | null | undefined) => {
  const t = (s ?? '').trimEnd();
  return t.length > 600 ? '…' + t.slice(-600) : t;
};

/**
 * `node [NODE_GUARD_FLAGS] ...args` (args: node options, the script, its arguments), like spawnSync
 * with encoding utf8: the same result whatever the exit status. A child that times out (default
 * SPAWN_TIMEOUT_MS, then killed with SIGKILL) or overflows maxBuffer (default 64 MiB) makes it throw
 * a SpawnNodeError saying so, so that the test fails with that message and not with `null !== 0`.
 */
export function spawnNode(args: readonly string[], opts: SpawnNodeOptions = {}): SpawnSyncReturns<string> {
  const timeout = opts.timeout ?? SPAWN_TIMEOUT_MS;
  if (!(timeout > 0)) throw new Error(`spawnNode: a timeout is required, got ${opts.timeout}`);
  const maxBuffer = opts.maxBuffer ?? 64 << 20;
  const killSignal = opts.killSignal ?? 'SIGKILL';
  const r = spawnSync(process.execPath, [...NODE_GUARD_FLAGS, ...args], {
    ...opts,
    timeout,
    maxBuffer,
    killSignal,
    encoding: 'utf8',
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const cmd = `node ${args.join(' ')}`.slice(0, 300);
    const what =
      code === 'ETIMEDOUT'
        ? `timed out after ${timeout / 1000} s and was killed (${r.signal ?? killSignal})`
        : code === 'ENOBUFS'
          ? `wrote more than maxBuffer (${maxBuffer} bytes) and was killed (${r.signal ?? killSignal})`
          : r.error.message;
    throw new SpawnNodeError(
      `${cmd}: ${what}\n--- stdout (end) ---\n${tail(r.stdout)}\n--- stderr (end) ---\n${tail(r.stderr)}`,
      code,
      r,
    );
  }
  return r;
}
