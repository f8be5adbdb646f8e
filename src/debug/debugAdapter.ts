/**
 * Entry point of dist/debugAdapter.js: the adapter as its own process, over stdio, or as a TCP server
 * with --server=PORT (to debug the adapter itself). The extension may instead run
 * HptraceDebugSession inline; the same class serves both.
 */
import * as net from 'net';
import { HptraceDebugSession } from './session';

export { HptraceDebugSession };

const portArg = process.argv.find((a) => a.startsWith('--server='));
if (require.main === module || process.argv[1]?.endsWith('debugAdapter.js')) {
  if (portArg) {
    const port = Number(portArg.slice('--server='.length));
    net
      .createServer((socket) => {
        const s = new HptraceDebugSession();
        s.setRunAsServer(true);
        s.start(socket, socket);
        socket.on('error', () => socket.destroy());
      })
      .listen(port, () => process.stderr.write(`hptrace debug adapter listening on port ${port}\n`));
  } else {
    const s = new HptraceDebugSession();
    s.start(process.stdin, process.stdout);
    process.on('SIGTERM', () => s.shutdown());
  }
}
