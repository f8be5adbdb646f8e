// Extension-host test runner: VS Code calls `run()` inside the extension host (the real
// Node.js one) when a window is opened with `extensionTestsPath` pointing at the compiled
// copy of this file, `out/test/suite/index.js`. Used by both entry points:
//   - scripts/e2e/run.mjs       (code-server + chromium; works on machines without internet)
//   - test/electron/run.ts      (@vscode/test-electron; needs to download VS Code)
//
// It loads every `*.test.js` below this folder (recursively) in the compiled output and runs
// them with mocha 11 (CommonJS; mocha 12 is ESM only), BDD interface: describe/it/before/after.
// `require('vscode')` works inside the tests (the extension host provides it).
//
// Knobs (environment of the process that starts VS Code / code-server, inherited by the
// extension host):
//   HPTRACE_MOCHA_GREP     only run tests whose full title matches this regexp
//   HPTRACE_MOCHA_TIMEOUT  per-test timeout in ms (default 20000)
//   HPTRACE_MOCHA_COLOR=1  coloured reporter output
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) out.push(full);
  }
  return out.sort();
}

export function run(): Promise<void> {
  const env = process.env;
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: env.HPTRACE_MOCHA_COLOR === '1',
    timeout: Number(env.HPTRACE_MOCHA_TIMEOUT) || 20_000,
    ...(env.HPTRACE_MOCHA_GREP ? { grep: env.HPTRACE_MOCHA_GREP } : {}),
  });

  const files = findTestFiles(__dirname);
  for (const f of files) mocha.addFile(f);

  return new Promise<void>((resolve, reject) => {
    if (files.length === 0) {
      reject(new Error(`no *.test.js files found under ${__dirname} (was test/suite compiled?)`));
      return;
    }
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} test(s) failed.`));
        else resolve();
      });
    } catch (err) {
      // a test file that throws while loading ends up here
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
