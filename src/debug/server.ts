/**
 * Where `dist/debugAdapter.js --server=PORT` listens: 127.0.0.1 unless --host=ADDR says otherwise. The
 * server has no authentication, so a host beyond the loopback comes with a warning.
 */
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
