// `npm run test:electron`: runs the extension-host suite (out/test/suite/index.js) in a VS Code
// downloaded by @vscode/test-electron. That needs internet access to update.code.visualstudio.com,
// so it fails on machines that reach only the npm registry (ENOTFOUND); there use
// `npm run test:e2e` (scripts/e2e/run.mjs: code-server + Debian's chromium), which runs the same suite.
//
// Compiled to out/test/electron/run.js, so the repo root is three folders up.
// Environment:
//   VSCODE_TEST_VERSION   VS Code version to download ('stable' default, 'insiders', '1.100.3', ...)
//   HPTRACE_E2E_CACHE     where downloads are cached (default ~/.cache/hptrace-e2e), outside the repo
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runTests, TestRunFailedError } from '@vscode/test-electron';

async function main(): Promise<number> {
  const extensionDevelopmentPath = path.resolve(__dirname, '../../..');
  const extensionTestsPath = path.resolve(__dirname, '../suite/index.js');
  const cache = process.env.HPTRACE_E2E_CACHE || path.join(os.homedir(), '.cache', 'hptrace-e2e');

  // throw-away profile with the same settings as the code-server runner
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-electron-'));
  const userDataDir = path.join(tmp, 'user-data');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'debug.saveBeforeStart': 'none',
        'workbench.startupEditor': 'none',
        'files.hotExit': 'off',
        'telemetry.telemetryLevel': 'off',
        'security.workspace.trust.enabled': false,
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
      },
      null,
      2,
    ),
  );
  const examples = path.join(extensionDevelopmentPath, 'examples');
  const workspace = fs.existsSync(examples) ? examples : fs.mkdtempSync(path.join(tmp, 'ws-'));

  try {
    return await runTests({
      version: process.env.VSCODE_TEST_VERSION || 'stable',
      cachePath: path.join(cache, 'vscode-test'),
      extensionDevelopmentPath,
      extensionTestsPath,
      launchArgs: [
        workspace,
        '--disable-extensions', // only the extension under development
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(tmp, 'extensions')}`,
      ],
    });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    // a failing suite makes VS Code exit non-zero (TestRunFailedError); anything else is
    // an infrastructure error, typically the download failing without internet
    console.error('Failed to run tests:', err instanceof Error ? err.message : err);
    process.exit(err instanceof TestRunFailedError && err.code ? err.code : 1);
  },
);
