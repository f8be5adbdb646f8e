/**
 * Entry point of dist/debugAdapter.js: the adapter as its own process, over stdio, or as a TCP server
 * with --server=PORT (to debug the adapter itself). The server listens on 127.0.0.1 only; it has no
 * authentication, so --host=ADDR (e.g. 0.0.0.0) widens it only when asked, with a warning. The
 * extension may instead run HptraceDebugSession inline; the same class serves both.
 */
import * as net from 'net';
import { HptraceDebugSession } from './session';

export { HptraceDebugSession };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** Where --server listens: its port and host (127.0.0.1 unless --host= says otherwise). */
export function serverAddress(argv: readonly string[]): { port: number; host: string; warning?: string } | null {
  const portArg = argv.find((a) => a.startsWith('--server='));
  if (!portArg) return null;
  const port = Number(portArg.slice('--server='.length));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--server=PORT: bad port ${portArg}`);
  const host = argv.find((a) => a.startsWith('--host='))?.slice('--host='.length) || '127.0.0.1';
  const warning = LOOPBACK.has(host)
    ? undefined
    : `hptrace: warning: the debug adapter listens on ${host}:${port} without authentication; anyone who can reach it can read files through it\n`;
  return { port, host, warning };
}

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
