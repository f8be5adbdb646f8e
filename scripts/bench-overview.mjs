// Trace Overview figures for `npm run bench` (called from scripts/bench.mjs with its traces), and
// runnable alone: node scripts/bench-overview.mjs FILE [FILE…]
//
//   overview_ms_*   request to drawn, after the trace is indexed: through the real debug adapter
//                   (dist/debugAdapter.js over DAP, a new process), `hptrace.overview` (1200 bins,
//                   the width of a wide panel) and `hptrace.ptegMap` (4096 cells) sent -> both
//                   answers parsed -> handed to the webview script (media/overview/overview.js in
//                   headless chromium via playwright-core, as VS Code's postMessage would) -> the
//                   timeline and the heat map drawn, including reading the canvas back (the
//                   script's pixel count forces the raster). Median of 5, after 3 untimed runs.
//                   Indexing (reading the whole trace first) is reported on standard error only.
//                   Without chromium the drawing cannot be measured and the figure says n/a.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './bench-lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const RUNS = 5;
/** Untimed runs first: the adapter's binning loop is cold (not yet optimised by V8) on the first requests. */
const WARMUP = 3;
const BINS = 1200;

/** A minimal DAP client over a child's stdio. */
class Dap {
  constructor(child) {
    this.child = child;
    this.seq = 1;
    this.pending = new Map();
    this.buf = Buffer.alloc(0);
    child.stdout.on('data', (d) => this.data(d));
    child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`adapter exited (${code})`));
      this.pending.clear();
    });
  }
  data(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const h = this.buf.indexOf('\r\n\r\n');
      if (h < 0) return;
      const len = Number(/Content-Length: (\d+)/i.exec(this.buf.toString('latin1', 0, h))?.[1]);
      if (this.buf.length < h + 4 + len) return;
      const raw = this.buf.toString('utf8', h + 4, h + 4 + len);
      this.buf = this.buf.subarray(h + 4 + len);
      const msg = JSON.parse(raw);
      if (msg.type === 'response') {
        const p = this.pending.get(msg.request_seq);
        if (!p) continue;
        this.pending.delete(msg.request_seq);
        if (msg.success) p.resolve({ msg, bytes: len });
        else p.reject(new Error(`${msg.command}: ${msg.message}`));
      } else if (msg.type === 'event' && this.onEvent) this.onEvent(msg);
    }
  }
  request(command, args, timeoutMs = 60_000) {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command}: no response in ${timeoutMs / 1000} s`)), timeoutMs);
      this.pending.set(seq, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      const body = Buffer.from(JSON.stringify({ seq, type: 'request', command, arguments: args }), 'utf8');
      this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
      this.child.stdin.write(body);
    });
  }
}

async function launch(file) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'debugAdapter.js')], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.resume();
  const dap = new Dap(child);
  let stopped;
  const firstStop = new Promise((r) => (stopped = r));
  dap.onEvent = (e) => e.event === 'stopped' && stopped();
  try {
    await dap.request('initialize', {
      adapterID: 'hptrace',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const launched = dap.request('launch', { trace: file, stopOnEntry: true }, 600_000);
    await dap.request('configurationDone', {});
    await launched;
    await firstStop;
  } catch (e) {
    child.kill();
    throw e;
  }
  return { dap, child };
}

/** Headless chromium with the webview script on a page (no VS Code around it); null when unavailable. */
async function startPage() {
  const cache = path.resolve(process.env.HPTRACE_E2E_CACHE || path.join(os.homedir(), '.cache', 'hptrace-e2e'));
  const chromiumPath = '/usr/bin/chromium';
  if (!fs.existsSync(path.join(cache, 'node_modules', 'playwright-core')) || !fs.existsSync(chromiumPath))
    return { why: 'no playwright-core in the e2e cache or no /usr/bin/chromium (npm run test:e2e installs them)' };
  const { chromium } = createRequire(path.join(cache, 'node_modules', 'noop.js'))('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-bench-ov-'));
  const media = path.join(root, 'media', 'overview');
  // The panel's page, with a stand-in for the webview API that keeps what the script posts.
  const html = fs
    .readFileSync(path.join(here, '..', 'media', 'overview', 'overview.js'), 'utf8')
    .replace(/<\/script/gi, '<\\/script');
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    `<!DOCTYPE html><html><head><link rel="stylesheet" href="${pathToFileURL(path.join(media, 'overview.css'))}"></head><body>
<div id="source"></div><div id="status"></div><div id="legend"></div>
<div class="chart"><canvas id="timeline"></canvas></div><div><span id="range"></span><button id="reset"></button><button id="compare"></button></div>
<div class="chart"><canvas id="heat"></canvas></div><div id="heatInfo"></div><div id="tip" hidden></div>
<script>window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });</script>
<script>${html}</script></body></html>`,
  );
  await page.goto(pathToFileURL(path.join(dir, 'index.html')).href);
  return { browser, page, dir };
}

/** Hands the answers to the webview as messages and returns when it has drawn. */
async function draw(page, overviewJson, ptegJson, seq) {
  return page.evaluate(
    ({ o, p, seq }) => {
      // eslint-disable-next-line no-undef -- runs in the page
      const send = (data) => window.dispatchEvent(new MessageEvent('message', { data }));
      send({ type: 'pteg', data: JSON.parse(p), position: 1 });
      send({ type: 'overview', data: JSON.parse(o), seq, position: 1 });
      const drawn = window.__posted.find((m) => m.type === 'drawn' && m.what === 'overview' && m.seq === seq);
      return drawn ? { ms: drawn.ms, nonBlank: drawn.pixels?.nonBlank ?? 0 } : null;
    },
    { o: overviewJson, p: ptegJson, seq },
  );
}

/** Measures one trace; returns {ms, parts} or {why}. */
async function measure(file, note, pageCtx) {
  const { dap, child } = await launch(file);
  try {
    let t = performance.now();
    const idx = await dap.request('hptrace.overview', { index: true, bins: 1 }, 1_800_000);
    note(
      `overview: indexing ${path.basename(file)} (${idx.msg.body.records} records) took ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    if (!pageCtx.page) return { why: pageCtx.why };
    const totals = [];
    const parts = [];
    for (let k = 0; k < WARMUP + RUNS; k++) {
      t = performance.now();
      const [o, p] = await Promise.all([
        dap.request('hptrace.overview', { index: true, bins: BINS }),
        dap.request('hptrace.ptegMap', { cells: 4096 }),
      ]);
      const tAnswered = performance.now();
      const d = await draw(pageCtx.page, JSON.stringify(o.msg.body), JSON.stringify(p.msg.body), k + 1);
      const total = performance.now() - t;
      if (!d || d.nonBlank === 0) throw new Error('the webview script did not draw');
      if (k < WARMUP) continue;
      totals.push(total);
      parts.push({
        request: tAnswered - t,
        binning: o.msg.body.elapsedMs,
        bytes: o.bytes + p.bytes,
        draw: d.ms,
      });
    }
    const mid = parts[totals.indexOf(median(totals))] ?? parts[0];
    note(
      `overview: ${path.basename(file)}: median ${median(totals).toFixed(1)} ms = requests ${mid.request.toFixed(1)} ms (binning ${mid.binning} ms in the adapter, ${(mid.bytes / 1024).toFixed(0)} KiB of JSON) + transfer and drawing (canvas ${mid.draw.toFixed(1)} ms)`,
    );
    return { ms: median(totals) };
  } finally {
    child.kill();
  }
}

/**
 * Called by scripts/bench.mjs: prints overview_ms_<label> for each trace ({file, n}), using its
 * figure/note/label helpers.
 */
export async function overviewBench({ traces, figure, note, label }) {
  let pageCtx;
  try {
    pageCtx = await startPage();
  } catch (e) {
    pageCtx = { why: `chromium did not start: ${String(e.message).split('\n')[0]}` };
  }
  try {
    for (const t of traces) {
      let r;
      try {
        r = await measure(t.file, note, pageCtx);
      } catch (e) {
        r = { why: String(e.message).replace(/\s+/g, ' ').slice(0, 200) };
      }
      figure(`overview_ms_${label(t.n)}`, r.ms !== undefined ? r.ms.toFixed(1) : `n/a (${r.why})`);
    }
  } finally {
    await pageCtx.browser?.close();
    if (pageCtx.dir) fs.rmSync(pageCtx.dir, { recursive: true, force: true });
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const files = process.argv.slice(2);
  if (!files.length) {
    process.stderr.write('usage: node scripts/bench-overview.mjs FILE [FILE…]\n');
    process.exit(2);
  }
  await overviewBench({
    traces: files.map((file, n) => ({ file, n: path.basename(file) || n })),
    figure: (name, value) => process.stdout.write(`${name}: ${value}\n`),
    note: (s) => process.stderr.write(`bench: ${s}\n`),
    label: (n) => String(n),
  });
  process.exit(0);
}
