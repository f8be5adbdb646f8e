#!/usr/bin/env node
// Editor figures of the bench, measured in a real VS Code (code-server 4.100.3 + Debian's chromium,
// as the e2e tier runs it; scripts/e2e/run.mjs launchHost) on a 200k-hcall trace (issue 12):
//
//   ui_first_stop_ms_200k  the trace just opened in an editor (its text on screen, the language
//                          features still busy with it), the command "hptrace: Debug This Trace" run
//                          from the palette -> the current-line marker of the entry stop is drawn in
//                          the editor. On standard error also the same with the editor settled
//                          (outline ready; --runs sessions, median)
//   ui_hover_ms_200k       the trace open: the mouse comes to rest on a pteh value -> the hover with its
//                          bit table is drawn (editor.hover.delay set to 0, so this is the provider
//                          and the rendering; median of 7 hovers on different lines)
//
// scripts/bench.mjs calls benchUi({ figure, note, trace }) at its end; standalone:
//   node scripts/bench-ui.mjs [--trace FILE] [--runs K] [--inline] [--hcalls N]
//     --extension DIR  the extension to measure (default this repository; e.g. an older build)
//     --plain    open the trace as plain text (no hptrace language features): VS Code's own cost
//     --f5       start the session with F5 and a launch.json instead of the palette command
//     --inline   run the debug adapter inside the extension host (hptrace.debugAdapter.inline),
//                the default before issue 12, for a before/after comparison
// Figures are `n/a (why)` when the e2e host is not installed and cannot be (no root for apt).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);
// HPTRACE_TIMING=FILE: the extension host writes its timing marks there (src/extension/timing.ts);
// the bench adds its own (same clock) so the file is one timeline.
const benchMark = (label, at = Date.now()) => {
  if (process.env.HPTRACE_TIMING) fs.appendFileSync(process.env.HPTRACE_TIMING, `${at} bench: ${label}\n`);
};

/** Measures both figures on `file` (an .hptrace of 200k hcalls). Returns { firstStop, hover, notes }. */
export async function measureUi(
  file,
  { runs = 3, inline = false, plain = false, f5 = plain, note = () => {}, extensionPath = root } = {},
) {
  process.env.HPTRACE_E2E_LOG_TO_STDERR = '1'; // standard output carries the figures only
  const { ensureInstalled } = await import('./e2e/install.mjs');
  const { launchHost, stopHost } = await import('./e2e/run.mjs');
  const { openWorkbench, runCommand, settle, SEL } = await import('./e2e/ui.mjs');
  const inst = ensureInstalled();
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'hptrace-bench-ui-'));
  const name = 'big.hptrace';
  fs.symlinkSync(path.resolve(file), path.join(ws, name));
  fs.mkdirSync(path.join(ws, '.vscode'));
  fs.writeFileSync(
    path.join(ws, '.vscode', 'settings.json'),
    JSON.stringify({
      'editor.hover.delay': 0,
      'workbench.editorLargeFileConfirmation': 1024, // MB: open the trace without the large-file guard
      'editor.minimap.enabled': false,
      'debug.internalConsoleOptions': 'neverOpen',
      'hptrace.debugAdapter.inline': inline,
      // --plain: the trace opens as plain text (no hptrace grammar, no language features; the
      // extension activates only for the command): what VS Code alone costs with 18 MB open
      ...(plain ? { 'files.associations': { '*.hptrace': 'plaintext' } } : {}),
    }),
  );
  // --f5 (and --plain, whose palette hides the command): F5 with this launch.json instead of the command
  fs.writeFileSync(
    path.join(ws, '.vscode', 'launch.json'),
    JSON.stringify({
      version: '0.2.0',
      configurations: [
        {
          type: 'hptrace',
          request: 'launch',
          name: 'big',
          trace: path.join(ws, name),
          stopOnEntry: true,
          kernel: 'io',
        },
      ],
    }),
  );
  const state = { keep: false };
  const opts = { extensionPath, workspace: ws, suite: false, verbose: false, widths: [1600] };
  const firstStops = [];
  const hovers = [];
  try {
    const { context, workbenchUrl } = await launchHost(opts, inst, state);
    const page = await context.newPage();
    state.currentPage = page;
    await page.setViewportSize({ width: 1600, height: 1000 });
    if (process.env.HPTRACE_TIMING)
      // the renderer's long tasks (over 50 ms) into the same timeline
      await page.exposeFunction('hptraceLongTask', (start, ms) => benchMark(`renderer long task ${ms} ms`, start));
    await page.addInitScript(() => {
      if (!window.hptraceLongTask || window !== window.top) return;
      new globalThis.PerformanceObserver((l) => {
        for (const e of l.getEntries())
          window.hptraceLongTask(Math.round(performance.timeOrigin + e.startTime), Math.round(e.duration));
      }).observe({ entryTypes: ['longtask'] });
    });
    await openWorkbench({ page, workbenchUrl: (f) => workbenchUrl({ folder: f }) }, ws);
    if (process.env.HPTRACE_CPUPROF) {
      // profiling: a small trace first activates the extension (and its profiler) before the big one
      fs.copyFileSync(path.join(root, 'examples', '1-io-bar.hptrace'), path.join(ws, 'small.hptrace'));
      await page.keyboard.press('Control+P');
      await page.locator(SEL.quickInputBox).fill('small.hptrace');
      await page.locator(SEL.quickInputRow, { hasText: 'small.hptrace' }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      await page.waitForFunction(() =>
        /hptrace/i.test(document.getElementById('status.editor.mode')?.textContent ?? ''),
      );
      await settle(page, 1500);
    }
    // open the trace: Quick Open, then wait until its text is on screen in the hptrace language
    await page.keyboard.press('Control+P');
    await page.locator(SEL.quickInputBox).fill(name);
    await page.locator(SEL.quickInputRow, { hasText: name }).first().waitFor({ timeout: 10_000 });
    await page.keyboard.press('Enter');
    const tOpen = Date.now();
    benchMark('open');
    await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 60_000 });
    await page.waitForFunction(
      (lang) => new RegExp(lang, 'i').test(document.getElementById('status.editor.mode')?.textContent ?? ''),
      plain ? 'plain' : 'hptrace',
      { timeout: 60_000 },
    );
    await page.locator('.editor-instance .view-lines span', { hasText: 'hcall' }).first().waitFor({ timeout: 60_000 });
    note(`opened ${name}: text on screen after ${Date.now() - tOpen} ms`);
    // The scenario: Debug This Trace as soon as the trace is on screen, while the editor
    // features are still busy with the new document. This is the figure.
    const stopOnce = async () => {
      if (f5) await page.keyboard.press('F5');
      else await runCommand(page, 'hptrace: Debug This Trace');
      const t0 = Date.now();
      benchMark('command run');
      await page.waitForSelector('.editor-instance .view-overlays .debug-top-stack-frame-line', {
        timeout: 180_000,
      });
      const ms = Date.now() - t0;
      benchMark(`stop drawn ${ms}`);
      await page.keyboard.press('Shift+F5');
      await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
      return ms;
    };
    firstStops.push(await stopOnce());
    note(`first stop right after opening: ${firstStops[0]} ms`);
    // the editor features have seen the document: its outline (breadcrumbs) shows the hcall groups
    await page
      .locator('.breadcrumbs-control, .monaco-breadcrumbs', { hasText: /Hcalls|Configuration/ })
      .first()
      .waitFor({ timeout: 60_000 })
      .then(() => note(`outline ready after ${Date.now() - tOpen} ms`))
      .catch(() => note('no outline in the breadcrumbs (continuing)'));
    await settle(page, 1500);
    // hovers on the pteh values of the hcall lines in view (no session: a debug session's own
    // hover would answer instead of the language hover)
    const tokens = page.locator('.editor-instance .view-lines span span').filter({ hasText: /^0x[0-9a-f]{13,16}$/ });
    const n = Math.min(7, await tokens.count());
    for (let k = 0; k < n; k++) {
      await page.keyboard.press('Escape');
      await page.mouse.move(5, 500);
      await page.waitForTimeout(300);
      const box = await tokens.nth(k).boundingBox();
      if (!box) continue;
      const th = Date.now();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 2 });
      const ok = await page
        .locator(SEL.hover, { hasText: 'HPTE first doubleword' })
        .first()
        .waitFor({ state: 'visible', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
      if (ok) hovers.push(Date.now() - th);
      benchMark(`hover ${k} ${ok ? Date.now() - th : 'missed'} (moved at ${th})`);
    }
    note(`hovers ${hovers.join(' ')} ms (of ${n} tokens)`);
    await page.keyboard.press('Escape');
    const warm = [];
    for (let run = 0; run < runs; run++) {
      warm.push(await stopOnce());
      await settle(page, 1500);
    }
    if (warm.length) note(`first stop with the editor settled: ${warm.join(' ')} ms (median ${median(warm)})`);
    await page.close();
    state.currentPage = null;
  } catch (e) {
    if (state.currentPage && process.env.HPTRACE_BENCH_UI_SHOT)
      await state.currentPage.screenshot({ path: process.env.HPTRACE_BENCH_UI_SHOT }).catch(() => {});
    throw e;
  } finally {
    await stopHost(state);
    fs.rmSync(ws, { recursive: true, force: true });
  }
  return {
    firstStop: firstStops.length ? firstStops[0] : NaN,
    hover: hovers.length ? median(hovers) : NaN,
  };
}

/** The bench's hook (scripts/bench.mjs): prints the two figures, or n/a with the reason. */
export async function benchUi({ figure, note, trace }) {
  const names = ['ui_first_stop_ms_200k', 'ui_hover_ms_200k'];
  // a smoke run of one custom size (--hcalls N) has no 200k editor figures
  if (process.argv.includes('--hcalls')) return;
  if (process.env.HPTRACE_BENCH_UI === '0') {
    for (const n of names) figure(n, 'n/a (HPTRACE_BENCH_UI=0)');
    return;
  }
  try {
    const t = trace(200_000);
    const r = await measureUi(t.file, { note });
    figure(names[0], Number.isFinite(r.firstStop) ? r.firstStop.toFixed(0) : 'n/a (no stop seen)');
    figure(names[1], Number.isFinite(r.hover) ? r.hover.toFixed(0) : 'n/a (no hover seen)');
  } catch (e) {
    const why = `n/a (${String(e?.message ?? e)
      .replace(/\s+/g, ' ')
      .slice(0, 200)})`;
    note(`ui figures: ${why}`);
    for (const n of names) figure(n, why);
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const argv = process.argv.slice(2);
  const val = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
  let file = val('--trace', '');
  if (!file) {
    const n = Number(val('--hcalls', 200_000));
    file = path.join(os.tmpdir(), `hptrace-bench-ui-${n}.hptrace`);
    if (!fs.existsSync(file)) {
      const r = spawnSync(
        process.execPath,
        [path.join(here, 'gen.mjs'), '--hcalls', String(n), '--seed', '1', '--out', file],
        {
          stdio: 'inherit',
        },
      );
      if (r.status !== 0) process.exit(2);
    }
  }
  const r = await measureUi(file, {
    runs: Number(val('--runs', 3)),
    inline: argv.includes('--inline'),
    plain: argv.includes('--plain'),
    f5: argv.includes('--plain') || argv.includes('--f5'),
    extensionPath: path.resolve(val('--extension', root)),
    note: (s) => process.stderr.write(`bench-ui: ${s}\n`),
  });
  process.stdout.write(`ui_first_stop_ms_200k: ${r.firstStop.toFixed(0)}\nui_hover_ms_200k: ${r.hover.toFixed(0)}\n`);
  process.exit(0);
}
