#!/usr/bin/env node
// End-to-end tests in a real VS Code without downloading VS Code:
// code-server 4.100.3 (VS Code 1.100.3, ordinary Node.js extension host) served on
// 127.0.0.1, opened in Debian's chromium driven by playwright-core.
//
//   1. ensure the install (scripts/e2e/install.mjs; cache outside the repo)
//   2. throw-away temp dir: user data (settings.json), extensions dir, config.yaml, chromium profile
//   3. code-server on a free port in its own process group; poll /healthz
//   4. extension-host suite: open the workbench with the URL payload
//      extensionDevelopmentPath + extensionTestsPath (vscode-remote://127.0.0.1:PORT form);
//      the workbench calls the exposed codeAutomationLog / codeAutomationExit
//   5. UI phase (optional; runs even after a failed suite, for its screenshots): scripts/e2e/ui.mjs `runUi({page, baseUrl, workspace, artifactsDir, log, ...})`,
//      screenshots into <repo>/test-artifacts/e2e/
//      (also saved there: code-server.log, and suite-failure.png / ui-failure.png / timeout.png / error.png)
//   6. always clean up: browser, code-server's whole process group, stragglers, temp dir
//   7. exit with the suite's exit code (else the UI phase's)
//
// Usage: node scripts/e2e/run.mjs [options]       (npm run test:e2e builds first)
//   --no-suite            skip the extension-host suite
//   --no-ui               skip the UI phase               (also HPTRACE_E2E_UI=0)
//   --timeout SECONDS     global timeout, default 360      (also HPTRACE_E2E_TIMEOUT)
//   --extension-path DIR  extension under test, default the repo root (HPTRACE_E2E_EXTENSION_PATH)
//   --tests-path FILE     suite entry, default <ext>/out/test/suite/index.js (HPTRACE_E2E_TESTS_PATH)
//   --workspace DIR       folder to open, default a temp copy of <ext>/examples plus a malformed trace
//   --verbose             stream code-server and browser console output (HPTRACE_E2E_VERBOSE=1)
//   --keep                keep the temp dir (printed) for debugging (HPTRACE_E2E_KEEP=1)
// Environment for the suite (see test/suite/index.ts): HPTRACE_MOCHA_GREP, HPTRACE_MOCHA_TIMEOUT.
//
// Exit codes: the suite's (0 pass, 1 failures); else the UI phase's (0/1);
//   2 infrastructure error; 3 Debian packages missing (not root); 124 global timeout;
//   130/143 interrupted.

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import util from 'node:util';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

import { ensureInstalled, CHROMIUM } from './install.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const T0 = Date.now();
const secs = (ms) => (ms / 1000).toFixed(1) + ' s';
const log = (msg) => process.stdout.write(`[e2e ${secs(Date.now() - T0).padStart(7)}] ${msg}\n`);

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const USER_SETTINGS = {
  'debug.saveBeforeStart': 'none', // else an untitled editor opens Save As and startDebugging hangs
  'workbench.startupEditor': 'none',
  'files.hotExit': 'off',
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
};

// ---- options ---------------------------------------------------------------
function parseArgs(argv) {
  const env = process.env;
  const o = {
    suite: true,
    ui: env.HPTRACE_E2E_UI !== '0',
    timeout: Number(env.HPTRACE_E2E_TIMEOUT) || 360,
    extensionPath: env.HPTRACE_E2E_EXTENSION_PATH || repoRoot,
    testsPath: env.HPTRACE_E2E_TESTS_PATH || '',
    workspace: env.HPTRACE_E2E_WORKSPACE || '',
    verbose: env.HPTRACE_E2E_VERBOSE === '1',
    keep: env.HPTRACE_E2E_KEEP === '1',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--no-suite') o.suite = false;
    else if (a === '--suite') o.suite = true;
    else if (a === '--no-ui') o.ui = false;
    else if (a === '--ui') o.ui = true;
    else if (a === '--timeout') o.timeout = Number(val());
    else if (a === '--extension-path') o.extensionPath = val();
    else if (a === '--tests-path') o.testsPath = val();
    else if (a === '--workspace') o.workspace = val();
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        fs
          .readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1)
          .join('\n')
          .split(/\n(?!\/\/)/)[0]
          .split('\n')
          .map((l) => l.slice(3))
          .join('\n') + '\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (!(o.timeout > 0)) throw new Error('--timeout must be a positive number of seconds');
  o.extensionPath = path.resolve(o.extensionPath);
  o.testsPath = path.resolve(o.testsPath || path.join(o.extensionPath, 'out', 'test', 'suite', 'index.js'));
  return o;
}

class InfraError extends Error {
  constructor(message, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

// ---- helpers ---------------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${secs(ms)}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** pids of processes whose environment carries our run marker (chromium, code-server, extension hosts, ptys). */
function markedPids(marker) {
  const pids = [];
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(marker)) pids.push(Number(d));
    } catch {}
  }
  return pids;
}

// The workbench's own chatter that reaches codeAutomationLog too; hidden unless --verbose.
const WORKBENCH_NOISE = [
  /^Resolving connection token /,
  /^Resolved connection token /,
  /^Creating a socket \(/,
  /^\[Service Worker\] registered/,
  /^Ignoring fetching additional builtin extensions from gallery/,
  /^Updating additional builtin extensions cache/,
  /^ChatSessionStore: /,
  /^\[lifecycle\] Long running operations during shutdown are unsupported in the web/,
];

// codeAutomationLog receives console-style arguments (format string first, e.g. mocha's
// `'  %d passing (%s)', 1, '64ms'`): render them like console.log does.
function textOfLogArgs(args) {
  if (!Array.isArray(args)) args = [args];
  return util.format(...args);
}

// ---- main ------------------------------------------------------------------
// module-level so that signal handlers can clean up too
const state = {
  tmp: null,
  server: null,
  context: null,
  runMarker: null,
  keep: false,
  phase: null,
  currentPage: null,
  artifactsDir: null,
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));

  // (a) install
  const tInstall = Date.now();
  const inst = ensureInstalled();
  log(`install check took ${secs(Date.now() - tInstall)}`);

  if (opts.suite && !fs.existsSync(opts.testsPath)) {
    throw new InfraError(
      `extension tests not found: ${opts.testsPath}\n  Build first: \`npm run build\` (compiles test/suite/**/*.ts to out/test/suite/).`,
    );
  }
  const pkgPath = path.join(opts.extensionPath, 'package.json');
  if (!fs.existsSync(pkgPath)) throw new InfraError(`no package.json in extension path ${opts.extensionPath}`);
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  if (pkg.main && !fs.existsSync(path.resolve(opts.extensionPath, pkg.main))) {
    log(`WARNING: the extension's main ${pkg.main} does not exist (not built?): activating it will fail`);
  }

  state.keep = opts.keep;
  let globalTimer;
  const work = runAll(opts, inst, state);
  work.catch(() => {}); // after a timeout the abandoned work rejects once its browser is gone; the race below still sees rejections
  const timeout = new Promise((resolve) => {
    globalTimer = setTimeout(() => resolve('timeout'), opts.timeout * 1000);
  });

  let code;
  try {
    const r = await Promise.race([work, timeout]);
    if (r === 'timeout') {
      log(
        `GLOBAL TIMEOUT: the e2e run did not finish within ${opts.timeout} s (phase: ${state.phase ?? '?'}) — failing.`,
      );
      await saveFailureScreenshot(state, 'timeout.png');
      code = 124;
    } else code = r;
  } catch (e) {
    log(`ERROR${state.phase ? ` (phase: ${state.phase})` : ''}: ${e?.stack || e}`);
    await saveFailureScreenshot(state, 'error.png');
    code = e?.exitCode ?? 2;
  } finally {
    clearTimeout(globalTimer);
    await cleanup(state);
  }
  log(`exit code ${code}; total ${secs(Date.now() - T0)}`);
  return code;
}

async function saveFailureScreenshot(state, name) {
  const page = state.currentPage;
  if (!page || !state.artifactsDir) return;
  try {
    const file = path.join(state.artifactsDir, name);
    await withTimeout(page.screenshot({ path: file }), 10_000, 'failure screenshot');
    log(`saved ${path.relative(process.cwd(), file) || file}`);
  } catch {}
}

async function runAll(opts, inst, state) {
  // (b) throw-away temp dir
  state.phase = 'prepare';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-e2e-'));
  state.tmp = tmp;
  const userData = path.join(tmp, 'user-data');
  const extDir = path.join(tmp, 'extensions');
  const configYaml = path.join(tmp, 'config.yaml');
  const chromeProfile = path.join(tmp, 'chromium-profile');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extDir, { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2) + '\n');
  // without --config code-server writes one into ~/.config; keep everything in tmp
  fs.writeFileSync(configYaml, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

  // The workbench may write into its folder (.vscode/…), so it gets a copy of the examples plus a
  // malformed trace for the Problems/launch-error step, never the repository itself.
  let workspace = opts.workspace ? path.resolve(opts.workspace) : path.join(tmp, 'workspace');
  if (opts.workspace) {
    if (!fs.existsSync(workspace) || !fs.statSync(workspace).isDirectory())
      throw new InfraError(`workspace folder not found: ${workspace}`);
  } else {
    fs.mkdirSync(workspace, { recursive: true });
    const examples = path.join(opts.extensionPath, 'examples');
    if (fs.existsSync(examples)) fs.cpSync(examples, workspace, { recursive: true });
    const bad = path.join(opts.extensionPath, 'test', 'fixtures', 'ext-malformed.hptrace');
    if (fs.existsSync(bad)) fs.copyFileSync(bad, path.join(workspace, 'malformed.hptrace'));
  }

  const artifactsDir = path.join(opts.extensionPath, 'test-artifacts', 'e2e');
  fs.rmSync(artifactsDir, { recursive: true, force: true });
  fs.mkdirSync(artifactsDir, { recursive: true });
  state.artifactsDir = artifactsDir;

  // every process we start (and its descendants) carries this in its environment, for the final sweep
  const runId = crypto.randomBytes(8).toString('hex');
  state.runMarker = `HPTRACE_E2E_RUN=${runId}`;
  const cacheNodeModules = inst.nodeModules;
  const childEnv = {
    ...process.env,
    HPTRACE_E2E_RUN: runId,
    // code-server's own data/logs (env-paths) go to tmp, not ~/.local/share
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
    XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
    // no extension gallery (open-vsx is unreachable; its failed look-ups only add noise)
    EXTENSIONS_GALLERY: process.env.EXTENSIONS_GALLERY ?? '{}',
    // fallback for `require('mocha')` in the extension host if the repo has no node_modules
    NODE_PATH: [process.env.NODE_PATH, cacheNodeModules].filter(Boolean).join(path.delimiter),
  };
  for (const k of Object.keys(childEnv)) {
    // a parent `npm run` or an outer VS Code must not leak into the server / extension host
    if (/^(npm_|VSCODE_|ELECTRON_)/i.test(k) || k === 'INIT_CWD') delete childEnv[k];
  }

  // (c) code-server in its own process group
  state.phase = 'start code-server';
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const serverLog = path.join(tmp, 'code-server.log');
  const logFd = fs.openSync(serverLog, 'a');
  const args = [
    inst.codeServerEntry,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--config',
    configYaml,
    '--user-data-dir',
    userData,
    '--extensions-dir',
    extDir,
  ];
  const tStart = Date.now();
  const server = spawn(process.execPath, args, {
    cwd: tmp,
    env: childEnv,
    detached: true, // own process group: cleanup kills -pid
    stdio: ['ignore', opts.verbose ? 'pipe' : logFd, opts.verbose ? 'pipe' : logFd],
  });
  fs.closeSync(logFd);
  state.server = server;
  state.serverLog = serverLog;
  let serverExit = null;
  state.serverDied = new Promise((_, reject) => {
    server.on('exit', (code, signal) => {
      serverExit = { code, signal };
      reject(new InfraError(`code-server exited unexpectedly (${JSON.stringify(serverExit)}):\n${tail(serverLog)}`));
    });
  });
  state.serverDied.catch(() => {}); // only raced against while a phase waits on the server
  if (opts.verbose) {
    const sink = fs.createWriteStream(serverLog, { flags: 'a' });
    for (const s of [server.stdout, server.stderr]) {
      s.on('data', (b) => {
        sink.write(b);
        process.stdout.write(String(b).replace(/^(?=.)/gm, '[code-server] '));
      });
    }
  }
  log(`code-server ${baseUrl} (pid/pgid ${server.pid}), temp ${tmp}`);

  const healthDeadline = Date.now() + 60_000;
  for (;;) {
    if (serverExit)
      throw new InfraError(`code-server exited early (${JSON.stringify(serverExit)}):\n${tail(serverLog)}`);
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {}
    if (Date.now() > healthDeadline)
      throw new InfraError(`code-server did not answer /healthz within 60 s:\n${tail(serverLog)}`);
    await sleep(150);
  }
  log(`code-server healthy after ${secs(Date.now() - tStart)}`);

  // (d) chromium via playwright-core (from the cache, outside the repo)
  state.phase = 'launch chromium';
  const requireFromCache = createRequire(path.join(cacheNodeModules, 'noop.js'));
  const { chromium } = requireFromCache('playwright-core');
  const tBrowser = Date.now();
  const context = await chromium.launchPersistentContext(chromeProfile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: childEnv,
    viewport: { width: 1440, height: 900 },
    timeout: 60_000,
    // our own signal handlers clean up everything (playwright's would exit before that)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  state.context = context;
  log(`chromium up after ${secs(Date.now() - tBrowser)}`);

  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p.split(path.sep).map(encodeURIComponent).join('/')}`;
  const workbenchUrl = ({ folder = workspace, extensionTestsPath } = {}) => {
    const payload = [['extensionDevelopmentPath', remote(opts.extensionPath)]];
    if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
    return `${baseUrl}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  };

  let suiteCode = 0;
  if (opts.suite) {
    state.phase = 'extension-host suite';
    suiteCode = await runSuite({ context, state, url: workbenchUrl({ extensionTestsPath: opts.testsPath }), opts });
  }

  let uiCode = 0;
  const uiModule = path.join(here, 'ui.mjs');
  if (opts.ui && fs.existsSync(uiModule)) {
    state.phase = 'UI';
    const tUi = Date.now();
    log('UI phase: scripts/e2e/ui.mjs');
    const page = await context.newPage();
    state.currentPage = page;
    if (opts.verbose) attachConsole(page, 'ui');
    try {
      const { runUi } = await import(pathToFileURL(uiModule).href);
      await runUi({
        page,
        context,
        baseUrl,
        workspace,
        artifactsDir,
        log: (m) => log(`[ui] ${m}`),
        // extras: URL of the workbench on `folder` with the extension under development loaded
        workbenchUrl: (folder = workspace) => workbenchUrl({ folder }),
        extensionPath: opts.extensionPath,
      });
      log(`UI phase passed in ${secs(Date.now() - tUi)}`);
    } catch (e) {
      uiCode = 1;
      log(`UI phase FAILED: ${e?.stack || e}`);
      await saveFailureScreenshot(state, 'ui-failure.png');
    }
  }

  return suiteCode !== 0 ? suiteCode : uiCode;
}

function attachConsole(page, tag) {
  page.on('console', (m) => process.stdout.write(`[browser:${tag}:${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => process.stdout.write(`[browser:${tag}:pageerror] ${e?.message || e}\n`));
}

async function runSuite({ context, state, url, opts }) {
  const page = context.pages()[0] ?? (await context.newPage());
  state.currentPage = page;
  if (opts.verbose) attachConsole(page, 'suite');
  let resolveExit, rejectExit;
  const exited = new Promise((res, rej) => {
    resolveExit = res;
    rejectExit = rej;
  });
  const counts = {};
  page.on('crash', () => rejectExit(new InfraError('the browser page crashed during the suite')));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = textOfLogArgs(args);
    if (!opts.verbose && WORKBENCH_NOISE.some((re) => re.test(text))) return;
    const m = /^\s*(\d+) (passing|failing|pending)\b/.exec(text); // mocha's summary lines
    if (m) counts[m[2]] = Number(m[1]);
    const out = type === 'error' || type === 'warn' ? process.stderr : process.stdout;
    out.write(text.endsWith('\n') ? text : text + '\n');
  });
  await page.exposeFunction('codeAutomationExit', (code) => {
    resolveExit(typeof code === 'number' ? code : Number(code) || 0);
  });
  const tSuite = Date.now();
  log(
    `extension-host suite: ${path.relative(opts.extensionPath, opts.testsPath)} (workspace ${url.match(/folder=([^&]*)/)?.[1] && decodeURIComponent(url.match(/folder=([^&]*)/)[1])})`,
  );
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  const code = await Promise.race([exited, state.serverDied]);
  log(`extension-host suite ${code === 0 ? 'PASSED' : `FAILED (exit code ${code})`} in ${secs(Date.now() - tSuite)}`);
  if ('passing' in counts || 'failing' in counts) {
    // plain closing line for CI log readers
    process.stdout.write(
      `e2e: ${counts.passing ?? 0} passed, ${counts.failing ?? 0} failed${counts.pending ? `, ${counts.pending} skipped` : ''}\n`,
    );
  }
  if (code !== 0) await saveFailureScreenshot(state, 'suite-failure.png');
  // close the page: its extension host winds down (it may outlive the page for a grace period;
  // the process-group kill at cleanup ends it)
  await withTimeout(page.close(), 10_000, 'closing suite page').catch(() => {});
  state.currentPage = null;
  return code;
}

function tail(file, n = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

// (f) cleanup — always
let cleaning = null;
function cleanup(state) {
  cleaning ??= (async () => {
    const t = Date.now();
    if (state.context) {
      await withTimeout(state.context.close(), 10_000, 'closing chromium').catch((e) => log(`cleanup: ${e.message}`));
      state.context = null;
    }
    const server = state.server;
    if (server?.pid) {
      // keep the server log as an artifact (useful in CI)
      if (state.serverLog && state.artifactsDir) {
        try {
          fs.copyFileSync(state.serverLog, path.join(state.artifactsDir, 'code-server.log'));
        } catch {}
      }
      const pgid = server.pid;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {}
      const deadline = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
      if (groupAlive(pgid)) {
        log('cleanup: code-server group still alive after SIGTERM, sending SIGKILL');
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {}
        await sleep(200);
      }
    }
    // anything that left the group (setsid'd terminals, chromium helpers) but carries our marker
    if (state.runMarker) {
      let pids = markedPids(state.runMarker);
      if (pids.length) {
        log(`cleanup: ending ${pids.length} leftover process(es): ${pids.join(' ')}`);
        for (const p of pids)
          try {
            process.kill(p, 'SIGTERM');
          } catch {}
        await sleep(1000);
        for (const p of markedPids(state.runMarker))
          try {
            process.kill(p, 'SIGKILL');
          } catch {}
      }
    }
    if (state.tmp) {
      if (state.keep) log(`cleanup: keeping ${state.tmp}`);
      else fs.rmSync(state.tmp, { recursive: true, force: true, maxRetries: 3 });
    }
    log(`cleanup done in ${secs(Date.now() - t)}`);
  })();
  return cleaning;
}

// ---- entry -----------------------------------------------------------------
const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  let exiting = false;
  const onSignal = (sig, code) => {
    if (exiting) return;
    exiting = true;
    log(`${sig}: cleaning up`);
    cleanup(state).finally(() => process.exit(code));
  };
  // last resort if something calls process.exit before cleanup finished: synchronous kill + rm
  process.on('exit', () => {
    if (state.server?.pid && groupAlive(state.server.pid)) {
      try {
        process.kill(-state.server.pid, 'SIGKILL');
      } catch {}
    }
    if (state.runMarker)
      for (const p of markedPids(state.runMarker))
        try {
          process.kill(p, 'SIGKILL');
        } catch {}
    if (state.tmp && !state.keep)
      try {
        fs.rmSync(state.tmp, { recursive: true, force: true });
      } catch {}
  });
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('SIGHUP', () => onSignal('SIGHUP', 129));
  main().then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`[e2e] ${e?.message || e}\n`);
      process.exit(e?.exitCode ?? 2);
    },
  );
}
