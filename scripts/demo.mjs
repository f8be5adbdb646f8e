// `npm run demo`: replays every example trace with the CLI, shows what the seed commit changes, and
// decodes a value. Run after `npm ci`; the npm script builds first.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const cli = path.join(root, 'dist', 'cli.js');
const examples = fs
  .readdirSync(path.join(root, 'examples'))
  .filter((f) => f.endsWith('.hptrace'))
  .sort();

function run(title, args) {
  console.log(`\n\x1b[1m$ hptrace ${args.join(' ')}\x1b[0m   # ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`demo: hptrace ${args.join(' ')} exited with ${r.status}`);
    process.exit(1);
  }
}

for (const f of examples) run('replay through the emulated kernel (with the seed commit)', ['replay', `examples/${f}`]);
run('which hcalls the seed commit changes', ['diff', 'examples/1-io-bar.hptrace']);
run('the same trace on the kernel before the commit, as JSON Lines', [
  'replay',
  'examples/1-io-bar.hptrace',
  '--json',
  '--kernel',
  'pre-io',
]);
run('decode an HPTE second doubleword', ['decode', '0x20001102a', '--as', 'r']);
console.log(
  `\ndemo: replayed ${examples.length} example traces. Open examples/ in VS Code with the extension to debug them.`,
);
