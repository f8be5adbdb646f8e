/**
 * Entry of the hptrace debug adapter as its own process: DAP over stdio, or over TCP with
 * `--server=PORT` (for debugging the adapter itself).
 */
import * as net from 'net';
import { HptraceDebugSession } from './session';

const server = process.argv.map((a) => /^--server=(\d+)$/.exec(a)).find(Boolean);
if (server) {
  net
    .createServer((socket) => {
      const session = new HptraceDebugSession();
      session.setRunAsServer(true);
      session.start(socket, socket);
    })
    .listen(Number(server[1]), '127.0.0.1');
} else {
  const session = new HptraceDebugSession();
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}
