#!/usr/bin/env node
// Idempotent installer for the end-to-end test host: a real VS Code served by
// code-server, driven by playwright-core with Debian's chromium.
//
// Everything lands in a cache folder OUTSIDE the repo:
//   $HPTRACE_E2E_CACHE, else ~/.cache/hptrace-e2e
// A marker file (<cache>/.install-complete.json) records a completed install for
// the pinned versions below, so a second run returns at once.
//
// Why the install is done by hand (see shared/notes/vscode-host.md): npm 11 blocks
// dependency install scripts, code-server's own postinstall refuses to run as root
// without unsafe-perm and then downloads ripgrep from GitHub (no internet here).
// So: install with --ignore-scripts, rebuild only the native modules, redo the
// postinstall's symlinks ourselves, and use Debian's ripgrep.
//
// Usage:
//   node scripts/e2e/install.mjs            install if needed (prints timings)
//   node scripts/e2e/install.mjs --force    reinstall the npm part even if the marker exists
//   node scripts/e2e/install.mjs --print-cache   print the cache folder and exit
// As a module: import { ensureInstalled, cacheDir, PINS } from './install.mjs'
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

export function cacheDir() {
  return path.resolve(process.env.HPTRACE_E2E_CACHE || path.join(os.homedir(), '.cache', 'hptrace-e2e'));
}

/** Paths inside a completed install. */
export function installPaths(cache = cacheDir()) {
  const nm = path.join(cache, 'node_modules');
  return {
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
  process.stdout.write(`[e2e-install] ${msg}\n`);
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

function run(cmd, args, { cwd, env, quiet = false } = {}) {
  const res = spawnSync(cmd, args, {
    cwd,
    env: env ?? childEnv(),
    stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw new InstallError(`${cmd} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0) {
    const tail = quiet ? `\n${(res.stdout || '').slice(-4000)}${(res.stderr || '').slice(-4000)}` : '';
    throw new InstallError(
      `\`${cmd} ${args.join(' ')}\` (in ${cwd ?? process.cwd()}) exited ${res.status ?? res.signal}${tail}`,
    );
  }
  return res;
}

function step(name, fn) {
  const s = Date.now();
  log(`${name} ...`);
  const r = fn();
  log(`${name}: done in ${secs(Date.now() - s)}`);
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
  step(`apt-get install ${missing.join(' ')}`, () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const args = ['install', '-y', '-q', '--no-install-recommends', ...missing];
    const first = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (first.status === 0) return;
    log('apt-get install failed; running apt-get update and retrying');
    run('apt-get', ['update', '-q'], { env });
    run('apt-get', args, { env });
  });
  if (!fs.existsSync(CHROMIUM)) throw new InstallError(`${CHROMIUM} still missing after installing chromium`);
  if (!fs.existsSync(RG)) throw new InstallError(`${RG} still missing after installing ripgrep`);
  return true;
}

// ---- marker ----------------------------------------------------------------
function wantedMarker() {
  return {
    markerVersion: MARKER_VERSION,
    pins: PINS,
    node: process.versions.modules,
    platform: `${process.platform}-${process.arch}`,
  };
}

function markerOk(p) {
  try {
    const m = JSON.parse(fs.readFileSync(p.marker, 'utf8'));
    const w = wantedMarker();
    return (
      m.markerVersion === w.markerVersion &&
      JSON.stringify(m.pins) === JSON.stringify(w.pins) &&
      m.node === w.node &&
      m.platform === w.platform &&
      fs.existsSync(p.codeServerEntry) &&
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
        dependencies: { ...PINS },
      },
      null,
      2,
    ) + '\n',
  );

  step(
    `npm install (code-server@${PINS['code-server']} playwright-core@${PINS['playwright-core']} mocha@${PINS.mocha}, scripts skipped)`,
    () =>
      run('npm', ['install', '--ignore-scripts', '--no-save', '--loglevel=error', '--prefix', cache], { cwd: cache }),
  );

  step('npm rebuild argon2 (code-server)', () =>
    run('npm', ['rebuild', 'argon2', '--loglevel=error', '--prefix', cache], { cwd: cache, env: childEnv(SCRIPT_ENV) }),
  );

  step('lib/vscode: npm install --omit=dev (scripts skipped)', () =>
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--loglevel=error'], { cwd: vscodeDir }),
  );

  step(`lib/vscode: npm rebuild ${VSCODE_NATIVE_MODULES.join(' ')}`, () =>
    run('npm', ['rebuild', ...VSCODE_NATIVE_MODULES, '--loglevel=error'], {
      cwd: vscodeDir,
      env: childEnv(SCRIPT_ENV),
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
    run('npm', ['install', '--omit=dev', '--ignore-scripts', '--loglevel=error'], { cwd: extDir });
    run(process.execPath, ['postinstall.mjs'], { cwd: extDir });
  });

  // sanity: the native modules load in this Node
  step('check native modules load', () => {
    // resolve like the server does (npm may hoist code-server's deps next to it)
    const req = (base, mods) =>
      mods.map(
        (m) => `require(require('module').createRequire(${JSON.stringify(base + '/')}).resolve(${JSON.stringify(m)}))`,
      );
    const probe = [
      ...req(codeServerDir, ['argon2']),
      ...req(vscodeDir, [
        '@vscode/spdlog',
        'node-pty',
        'native-watchdog',
        '@parcel/watcher',
        'kerberos',
        '@vscode/deviceid',
      ]),
    ].join(';');
    run(process.execPath, ['-e', probe], { cwd: cache, quiet: true });
  });

  fs.writeFileSync(
    p.marker,
    JSON.stringify({ ...wantedMarker(), installedAt: new Date().toISOString() }, null, 2) + '\n',
  );
}

/**
 * Make sure everything is installed. Returns the install paths.
 * Throws InstallError (with .exitCode) on failure.
 */
export function ensureInstalled({ force = false } = {}) {
  const p = installPaths();
  const start = Date.now();
  const aptDid = ensureAptPackages();
  if (!force && markerOk(p)) {
    log(`up to date in ${p.cache} (${secs(Date.now() - start)})`);
    return p;
  }
  withLock(p.cache, () => {
    if (!force && markerOk(p)) return; // another process finished it meanwhile
    log(`installing into ${p.cache}${aptDid ? '' : ' (Debian packages already present)'}`);
    installNpmPart(p);
  });
  log(`install complete in ${secs(Date.now() - start)}`);
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
    ensureInstalled({ force: args.includes('--force') });
    log(`total ${secs(Date.now() - t0)}`);
  } catch (e) {
    process.stderr.write(`[e2e-install] FAILED: ${e instanceof InstallError ? e.message : e?.stack || e}\n`);
    process.exit(e?.exitCode || 1);
  }
}
