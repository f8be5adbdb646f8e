// Running a Node script of the repository from the other scripts (the demo, the e2e tier, the bench).
import { spawnSync } from 'node:child_process';

/** How a child that did not succeed ended (`how`: timed out, could not start, or its exit status), with its stderr. */
export class NodeChildError extends Error {
  constructor(how, stderr) {
    super(`${how}${stderr ? `\n${stderr}` : ''}`);
    this.how = how;
    this.stderr = stderr;
  }
}

/**
 * Runs `script` with `args` to its end under this Node and returns its standard output; throws a
 * NodeChildError unless it exits 0. --no-concurrent-recompilation: Node 20 can hang at exit
 * (nodejs/node#54918); the timeout (SIGKILL) is a backstop.
 */
export function runNodeSync(script, args, { cwd, timeout = 120_000 } = {}) {
  const r = spawnSync(process.execPath, ['--no-concurrent-recompilation', script, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout,
    killSignal: 'SIGKILL',
  });
  if (r.error || r.status !== 0) {
    const how =
      r.error?.code === 'ETIMEDOUT'
        ? `timed out after ${timeout / 1000} s`
        : r.error
          ? r.error.message
          : `exited with ${r.status}`;
    throw new NodeChildError(how, r.stderr ?? '');
  }
  return r.stdout;
}
