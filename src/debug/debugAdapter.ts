/**
 * Entry point of dist/debugAdapter.js: the adapter as its own process, over stdio, or as a TCP server
 * with --server=PORT (to debug the adapter itself). The server listens on 127.0.0.1 only; it has no
 * authentication, so --host=ADDR (e.g. 0.0.0.0) widens it only when asked, with a warning. The
 * extension may instead run HptraceDebugSession inline; the same class serves both.
 */
import * as net from 'net';
import { serverAddress } from './server';
import { HptraceDebugSession } from './session';

export { HptraceDebugSession };

if (require.main === module || process.argv[1]?.endsWith('debugAdapter.js')) {
  const addr = serverAddress(process.argv);
  if (addr) {
    if (addr.warning) process.stderr.write(addr.warning);
    const server = net.createServer((socket) => {
      const s = new HptraceDebugSession();
      s.setRunAsServer(true);
      s.start(socket, socket);
      socket.on('error', () => socket.destroy());
    });
    server.listen(addr.port, addr.host, () => {
      const a = server.address() as net.AddressInfo;
      process.stderr.write(`hptrace debug adapter listening on ${a.address}:${a.port}\n`);
    });
  } else {
    const s = new HptraceDebugSession();
    s.start(process.stdin, process.stdout);
    process.on('SIGTERM', () => s.shutdown());
  }
}
