#!/usr/bin/env node
// End-to-end tests in a real VS Code without downloading VS Code:
// code-server (ordinary Node.js extension host) served on 127.0.0.1, opened in Debian's chromium
// driven by playwright-core. Two VS Code versions (install.mjs HOSTS): the pinned code-server
// 4.100.3 (VS Code 1.100.3) and code-server 4.139.1 (VS Code 1.139.1, on Node 24 from the npm
// registry); steps 1–6 run once per version, the UI phase at each window width (WIDTHS).
//
//   1. ensure the install (scripts/e2e/install.mjs; cache outside the repo)
//   2. throw-away temp dir: user data (settings.json), extensions dir (a link to the extension under
//      test, plus a small suite-runner extension), config.yaml, chromium profile
//   3. code-server on a free port in its own process group; poll /healthz
//   4. extension-host suite: open the workbench; the runner extension (writeSuiteRunner) runs
//      out/test/suite/index.js in the extension host, its output is streamed from a log file
//      (the URL payload extensionTestsPath works on 4.100.3 only, so neither version uses it)
//   5. UI phase (optional; runs even after a failed suite, for its screenshots): scripts/e2e/ui.mjs
//      `runUi({page, baseUrl, workspace, artifactsDir, log, width, ...})` at each width,
//      screenshots into <repo>/test-artifacts/e2e/vscode-<version>/<width>-*.png
//      (also saved there: code-server.log, and suite-failure.png / ui-failure-<width>.png / timeout.png / error.png)
//   6. always clean up: browser, code-server's whole process group, stragglers, temp dir
//   7. exit with the suite's exit code (else the UI phase's)
//
// Usage: node scripts/e2e/run.mjs [options]       (npm run test:e2e builds first)
//   --no-suite            skip the extension-host suite
//   --no-ui               skip the UI phase               (also HPTRACE_E2E_UI=0)
//   --host V              only this code-server version (repeatable; HPTRACE_E2E_HOSTS=a,b)
//   --width PX            only this window width for the UI phase (repeatable; HPTRACE_E2E_WIDTHS)
//   --phase NAME          only the UI phases whose name contains NAME (HPTRACE_E2E_PHASES=a,b)
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
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

import { ensureInstalled, CHROMIUM, HOSTS, selectedHosts } from './install.mjs';

/** Window widths of the UI phase: narrow (the issue-12 hover shift showed at 1250 px) and wide. */
export const WIDTHS = [1250, 1600];

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const T0 = Date.now();
const secs = (ms) => (ms / 1000).toFixed(1) + ' s';
// HPTRACE_E2E_LOG_TO_STDERR=1 (set by scripts/bench-ui.mjs): progress to standard error, standard output stays clean
const logOut = () => (process.env.HPTRACE_E2E_LOG_TO_STDERR === '1' ? process.stderr : process.stdout);
const log = (msg) => logOut().write(`[e2e ${secs(Date.now() - T0).padStart(7)}] ${msg}\n`);

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
  // VS Code 1.139: no Chat side bar taking a third of a narrow window, no AI features
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
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
    hosts: [],
    widths: (env.HPTRACE_E2E_WIDTHS || '').split(',').filter(Boolean).map(Number),
    phases: (env.HPTRACE_E2E_PHASES || '').split(',').filter(Boolean),
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
    else if (a === '--host') o.hosts.push(val());
    else if (a === '--width') o.widths.push(Number(val()));
    else if (a === '--phase') o.phases.push(val());
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
  if (!o.hosts.length) o.hosts = selectedHosts();
  for (const h of o.hosts) if (!HOSTS[h]) throw new Error(`unknown --host ${h} (known: ${Object.keys(HOSTS)})`);
  if (!o.widths.length) o.widths = WIDTHS;
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
  const artifactsRoot = path.join(opts.extensionPath, 'test-artifacts', 'e2e');
  fs.rmSync(artifactsRoot, { recursive: true, force: true });
  state.keep = opts.keep;

  let worst = 0;
  const results = [];
  for (const host of opts.hosts) {
    const tHost = Date.now();
    const code = await runHost(opts, host, path.join(artifactsRoot, `vscode-${HOSTS[host].vscode}`));
    results.push(
      `VS Code ${HOSTS[host].vscode} (code-server ${host}): ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${secs(Date.now() - tHost)}`,
    );
    if (code !== 0 && (worst === 0 || worst === 1)) worst = code;
  }
  for (const r of results) log(r);
  log(
    `exit code ${worst}; total ${secs(Date.now() - T0)}; screenshots in ${path.relative(process.cwd(), artifactsRoot) || artifactsRoot}`,
  );
  return worst;
}

/** Install (if needed), run the suite and the UI phase on one code-server version, clean up. */
async function runHost(opts, host, artifactsDir) {
  const tInstall = Date.now();
  const inst = ensureInstalled({ host });
  if (Date.now() - tInstall > 2000) log(`install took ${secs(Date.now() - tInstall)}`);
  Object.assign(state, {
    tmp: null,
    server: null,
    context: null,
    runMarker: null,
    phase: null,
    currentPage: null,
    artifactsDir: null,
  });
  cleaning = null;
  let globalTimer;
  const work = runAll(opts, inst, state, artifactsDir);
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

/**
 * Start code-server (own process group) and chromium for one install; fills `state` for cleanup.
 * Returns { context, baseUrl, port, workspace, tmp, workbenchUrl(folder?, extensionTestsPath?) }.
 * Used by runAll and by scripts/bench-ui.mjs.
 */
export async function launchHost(opts, inst, state) {
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
  // The extension under test is installed into the extensions folder (a link to its folder), the
  // same way on every VS Code version: code-server 4.139's web workbench ignores the URL payload's
  // extensionDevelopmentPath/extensionTestsPath. A tiny runner extension runs the suite instead.
  const pkg = JSON.parse(fs.readFileSync(path.join(opts.extensionPath, 'package.json'), 'utf8'));
  fs.symlinkSync(opts.extensionPath, path.join(extDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`));
  writeSuiteRunner(path.join(extDir, 'hptrace-e2e.suite-runner-0.0.1'));
  state.suiteOut = path.join(tmp, 'suite-result');
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
    // for the suite runner extension (writeSuiteRunner): what to run, where to report
    ...(opts.suite ? { HPTRACE_E2E_SUITE: opts.testsPath, HPTRACE_E2E_SUITE_OUT: path.join(tmp, 'suite-result') } : {}),
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
  const server = spawn(inst.node ?? process.execPath, args, {
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
  log(`code-server ${inst.host ?? ''} ${baseUrl} (pid/pgid ${server.pid}), temp ${tmp}`);

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
    viewport: { width: opts.widths?.[0] ?? 1440, height: 1000 },
    timeout: 60_000,
    // our own signal handlers clean up everything (playwright's would exit before that)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  state.context = context;
  log(`chromium up after ${secs(Date.now() - tBrowser)}`);

  const workbenchUrl = ({ folder = workspace } = {}) => `${baseUrl}/?folder=${encodeURIComponent(folder)}`;
  return { context, baseUrl, port, workspace, tmp, workbenchUrl };
}

async function runAll(opts, inst, state, artifactsDir) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  state.artifactsDir = artifactsDir;
  const { context, baseUrl, workspace, workbenchUrl } = await launchHost(opts, inst, state);
  let suiteCode = 0;
  if (opts.suite) {
    state.phase = 'extension-host suite';
    suiteCode = await runSuite({ context, state, url: workbenchUrl(), opts });
  }

  let uiCode = 0;
  const uiModule = path.join(here, 'ui.mjs');
  if (opts.ui && fs.existsSync(uiModule)) {
    const { runUi } = await import(pathToFileURL(uiModule).href);
    for (const width of opts.widths) {
      state.phase = `UI ${width} px`;
      const tUi = Date.now();
      log(`UI phase at ${width} px: scripts/e2e/ui.mjs`);
      const page = await context.newPage();
      state.currentPage = page;
      if (opts.verbose) attachConsole(page, 'ui');
      try {
        await runUi({
          page,
          context,
          baseUrl,
          workspace,
          artifactsDir,
          width,
          phases: opts.phases,
          vscodeVersion: inst.vscodeVersion,
          log: (m) => log(`[ui ${width}] ${m}`),
          // extras: URL of the workbench on `folder` with the extension under development loaded
          workbenchUrl: (folder = workspace) => workbenchUrl({ folder }),
          extensionPath: opts.extensionPath,
        });
        log(`UI phase at ${width} px passed in ${secs(Date.now() - tUi)}`);
      } catch (e) {
        uiCode = 1;
        log(`UI phase at ${width} px FAILED: ${e?.stack || e}`);
        await saveFailureScreenshot(state, `ui-failure-${width}.png`);
      }
      await withTimeout(page.close(), 10_000, 'closing UI page').catch(() => {});
      state.currentPage = null;
    }
  }

  return suiteCode !== 0 ? suiteCode : uiCode;
}

function attachConsole(page, tag) {
  page.on('console', (m) => process.stdout.write(`[browser:${tag}:${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => process.stdout.write(`[browser:${tag}:pageerror] ${e?.message || e}\n`));
}

/**
 * A minimal extension that runs the extension-host suite once (the first window whose extension
 * host starts), writing mocha's output to <out>.log and the exit code (0/1) to <out>.
 */
function writeSuiteRunner(dir) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'suite-runner',
      publisher: 'hptrace-e2e',
      version: '0.0.1',
      engines: { vscode: '^1.90.0' },
      activationEvents: ['onStartupFinished'],
      main: './runner.js',
    }),
  );
  fs.writeFileSync(
    path.join(dir, 'runner.js'),
    `const fs = require('fs');
const util = require('util');
exports.activate = () => {
  const tests = process.env.HPTRACE_E2E_SUITE;
  const out = process.env.HPTRACE_E2E_SUITE_OUT;
  if (!tests || !out) return;
  try {
    fs.mkdirSync(out + '.started');
  } catch {
    return; // another window runs it
  }
  const write = (...a) => fs.appendFileSync(out + '.log', util.format(...a) + '\\n');
  for (const k of ['log', 'info', 'warn', 'error'])
    Object.defineProperty(console, k, { value: write, writable: true, configurable: true });
  try {
    // mocha's reporters print through Base.consoleLog
    const mocha = require(require.resolve('mocha', { paths: [require('path').dirname(tests)] }));
    mocha.reporters.Base.consoleLog = write;
  } catch (e) {
    write('suite runner: mocha not found: ' + e);
  }
  let run;
  try {
    run = require(tests).run();
  } catch (e) {
    run = Promise.reject(e);
  }
  run.then(
    () => fs.writeFileSync(out, '0'),
    (e) => {
      write(String((e && e.stack) || e));
      fs.writeFileSync(out, '1');
    },
  );
};
`,
  );
}

async function runSuite({ context, state, url, opts }) {
  const page = context.pages()[0] ?? (await context.newPage());
  state.currentPage = page;
  if (opts.verbose) attachConsole(page, 'suite');
  const counts = {};
  const out = state.suiteOut;
  let printed = 0;
  const pump = () => {
    let text = '';
    try {
      text = fs.readFileSync(out + '.log', 'utf8');
    } catch {
      return;
    }
    const fresh = text.slice(printed);
    const end = fresh.lastIndexOf('\n') + 1;
    if (!end) return;
    printed += end;
    for (const line of fresh.slice(0, end).split('\n').slice(0, -1)) {
      const m = /^\s*(\d+) (passing|failing|pending)\b/.exec(line); // mocha's summary lines
      if (m) counts[m[2]] = Number(m[1]);
      process.stdout.write(line + '\n');
    }
  };
  const tSuite = Date.now();
  log(`extension-host suite: ${path.relative(opts.extensionPath, opts.testsPath)}`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  const done = (async () => {
    for (;;) {
      pump();
      if (fs.existsSync(out)) {
        await sleep(100);
        pump();
        return Number(fs.readFileSync(out, 'utf8').trim() || 1);
      }
      await sleep(200);
    }
  })();
  const crashed = new Promise((_, reject) =>
    page.on('crash', () => reject(new InfraError('the browser page crashed during the suite'))),
  );
  const code = await Promise.race([done, crashed, state.serverDied]);
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
/** Ends what launchHost started (browser, code-server's process group, stragglers, temp dir). */
export function stopHost(hostState) {
  cleaning = null;
  return cleanup(hostState);
}
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
