// UI phase, Trace Overview part (called from the end of scripts/e2e/ui.mjs with the same ctx).
// In the real workbench: open the overview from the editor-title button during a debug session,
// check that the timeline canvas is drawn in the theme's colours for H_SUCCESS and H_PARAMETER,
// click an H_PARAMETER part of a bin and see the debugger's current-line marker move to a line
// whose replayed result is H_PARAMETER, run "Compare State With Line…" and read its document, and
// take screenshots of the overview in a light and a dark theme (overview-light.png, overview-dark.png
// in test-artifacts/e2e; the README's copies live in media/).
import fs from 'node:fs';
import path from 'node:path';
import { runNodeSync } from '../node-child.mjs';
import { expect, openFile, runCommand, screenshot, SEL, settle, waitMarker } from './ui.mjs';

/** Runs a Node script of the repository to its end and returns its standard output; throws unless it exits 0. */
function runNode(script, args) {
  try {
    return runNodeSync(script, args);
  } catch (e) {
    throw new Error(`${path.basename(script)} ${args.join(' ')}: ${e.message}`);
  }
}

/** The webview frame that holds the overview's timeline canvas. */
async function overviewFrame(page, timeout = 30_000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      const has = await f.evaluate(() => !!document.getElementById('timeline')).catch(() => false);
      if (has) return f;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('UI check failed (overview): no webview frame with the timeline canvas appeared');
}

/**
 * Polls fn(arg) in the frame (or the page) until it is truthy (the webview's CSP forbids eval, which
 * frame.waitForFunction needs; frame.evaluate does not).
 */
async function poll(frame, fn, arg, timeout = 20_000) {
  const end = Date.now() + timeout;
  let v;
  while (Date.now() < end) {
    v = await frame.evaluate(fn, arg).catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`UI check failed (overview): timed out waiting for ${String(fn).slice(0, 120)}`);
}

/** Waits until the webview has drawn at least `n` times; returns the count. */
async function waitDrawn(frame, n, timeout = 20_000) {
  await poll(frame, (k) => Number(document.body.dataset.drawn || 0) >= k, n, timeout);
  return frame.evaluate(() => Number(document.body.dataset.drawn || 0));
}

/**
 * Where the `kind` part of the bin holding `line` is drawn (CSS px in the canvas), read once the
 * layout has settled: the canvas drawn at its container's current width, and the same answer twice
 * 300 ms apart. (A webview shown again after being hidden starts narrow, ~300 px on VS Code 1.139,
 * and is resized a moment later; coordinates read before that point at the wrong bin.)
 */
async function settledSpot(frame, line, kind, timeout = 15_000) {
  const read = () =>
    frame.evaluate(
      ([l, k]) => {
        const o = window.__hptraceOverview;
        const d = o.data();
        const tl = document.getElementById('timeline');
        if (!d || parseFloat(tl.style.width) !== Math.max(200, tl.parentElement.clientWidth - 2)) return null;
        const b = d.edges.findIndex((e, i) => i < d.bins && l >= e && l < d.edges[i + 1]);
        return {
          bin: b,
          at: o.segmentCenter(k, b),
          first: d.edges[b],
          last: d.edges[b + 1] - 1,
          width: tl.style.width,
        };
      },
      [line, kind],
    );
  const end = Date.now() + timeout;
  let prev = null;
  while (Date.now() < end) {
    const now = await read().catch(() => null);
    if (now && prev && JSON.stringify(now) === JSON.stringify(prev)) return now;
    prev = now;
    await new Promise((r) => setTimeout(r, 300));
  }
  return prev ?? { at: null, why: 'the timeline never settled at its container width' };
}

function setTheme(workspace, theme) {
  const file = path.join(workspace, '.vscode', 'settings.json');
  const s = JSON.parse(fs.readFileSync(file, 'utf8'));
  s['workbench.colorTheme'] = theme;
  fs.writeFileSync(file, JSON.stringify(s, null, 2) + '\n');
}

export async function runOverviewUi(ctx, { workspace }) {
  const { page, log, extensionPath } = ctx;
  const traceName = '1-io-bar.hptrace';
  const trace = path.join(workspace, traceName);
  // The lines whose replayed result is H_PARAMETER, from the CLI.
  const replay = runNode(path.join(extensionPath, 'dist', 'cli.js'), ['replay', trace, '--json']);
  const paramLines = replay
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => x.ret === 'H_PARAMETER')
    .map((x) => x.line);
  expect(paramLines.length >= 2, 'the example trace has H_PARAMETER results', replay.slice(0, 300));

  await openFile(page, traceName);
  await runCommand(page, 'hptrace: Debug This Trace');
  await page.locator('.debug-toolbar').waitFor({ timeout: 20_000 });
  const entry = await waitMarker(page, (l) => l > 0);
  expect(entry > 0 && !paramLines.includes(entry), 'the session stops on entry, not on an H_PARAMETER', entry);

  // The editor-title button opens the overview.
  const button = page.locator('.editor-actions .action-label.codicon-graph').first();
  await button.waitFor({ timeout: 10_000 });
  await button.click();
  const frame = await overviewFrame(page);
  await waitDrawn(frame, 1);
  await poll(frame, () => window.__hptraceOverview?.data()?.complete === true);
  await page.waitForTimeout(300);

  // Non-blank, in the theme's colours for H_SUCCESS and H_PARAMETER.
  const px = await frame.evaluate(() => window.__hptraceOverview.pixelCounts());
  expect(
    px.nonBlank > 2000 && px.success > 100 && px.H_PARAMETER > 20,
    'the timeline canvas is drawn, with pixels in the H_SUCCESS and H_PARAMETER colours',
    JSON.stringify(px),
  );
  const heatDrawn = await frame.evaluate(() => {
    const c = document.getElementById('heat');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
    return n;
  });
  expect(heatDrawn > 1000, 'the PTEG heat map is drawn', heatDrawn);

  // Click the H_PARAMETER part of the bin of the last H_PARAMETER line: the session goes there.
  const target = paramLines[paramLines.length - 1];
  const spot = await settledSpot(frame, target, 'H_PARAMETER');
  expect(spot.at, `the bin of line ${target} has an H_PARAMETER part`, JSON.stringify(spot));
  const before = await frame.evaluate(() => Number(document.body.dataset.drawn || 0));
  await frame.locator('#timeline').click({ position: { x: spot.at.x, y: spot.at.y } });
  const moved = await waitMarker(page, (l) => paramLines.includes(l) && l >= spot.first && l <= spot.last);
  expect(
    paramLines.includes(moved) && moved >= spot.first && moved <= spot.last,
    `a click on the H_PARAMETER part of bin ${spot.bin} (lines ${spot.first}–${spot.last}) moves the marker to an H_PARAMETER line`,
    `marker on ${moved}; H_PARAMETER lines ${paramLines.join(', ')}`,
  );
  // The overview's cursor follows the stop.
  await poll(frame, (l) => window.__hptraceOverview.position() === l, moved, 10_000);
  await waitDrawn(frame, before + 1);
  await settle(page, 500);
  await screenshot(ctx, 'overview.png');

  // Light and dark themes: the panel redraws in the theme's colours. Side bar and bottom panel
  // hidden for room; the screenshots are clipped to the overview's editor group.
  await page.keyboard.press('Control+B');
  await page.keyboard.press('Control+J');
  await settle(page, 800);
  const group = page.locator('.editor-group-container', { has: page.locator('.tab', { hasText: 'Trace Overview' }) });
  for (const [theme, name] of [
    ['Default Dark Modern', 'overview-dark.png'],
    ['Default Light Modern', 'overview-light.png'],
  ]) {
    const n = await frame.evaluate(() => Number(document.body.dataset.drawn || 0));
    const bg = await frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
    setTheme(workspace, theme);
    await poll(frame, (b) => getComputedStyle(document.body).backgroundColor !== b, bg).catch(() => {});
    await waitDrawn(frame, n + 1).catch(() => {});
    await settle(page, 800);
    const p2 = await frame.evaluate(() => window.__hptraceOverview.pixelCounts());
    expect(
      p2.success > 100 && p2.H_PARAMETER > 20,
      `in ${theme}, the timeline is drawn in that theme's colours`,
      JSON.stringify(p2),
    );
    // The panel below its tab bar, down to the end of the heat map.
    const box = await group.first().boundingBox();
    const clip = box
      ? { x: box.x, y: box.y + 35, width: box.width, height: Math.min(box.height - 35, 640) }
      : undefined;
    const file = path.join(ctx.artifactsDir, name);
    await page.screenshot({ path: file, clip });
    log(`screenshot ${path.relative(process.cwd(), file)}`);
  }
  await page.keyboard.press('Control+B');
  await page.keyboard.press('Control+J');
  await settle(page, 500);

  // Compare State With Line…: the stop against the end of the trace, as a document.
  const lastLine = fs.readFileSync(trace, 'utf8').trimEnd().split('\n').length;
  await runCommand(page, 'hptrace: Compare State With Line');
  // The command's own input box, not the closing command palette (typing into that one while it
  // fades out loses the line number; seen on VS Code 1.139).
  const box = page.locator('.quick-input-widget', { hasText: 'Compare the state at the current stop' });
  await box.waitFor({ state: 'visible', timeout: 10_000 });
  const input = box.locator('.quick-input-box input');
  await input.fill(String(lastLine));
  await page.waitForFunction(
    ([sel, v]) => document.querySelector(sel)?.value === v,
    [SEL.quickInputBox, String(lastLine)],
    { timeout: 5_000 },
  );
  await page.keyboard.press('Enter');
  const doc = page.locator('.editor-instance .view-lines', { hasText: 'HPT entries added' }).first();
  await doc.waitFor({ timeout: 15_000 });
  const text = await doc.innerText();
  expect(
    new RegExp(`state after line ${moved} .*-> state after line ${lastLine}`).test(text.replace(/\s+/g, ' ')),
    'the comparison document names both points (the stop and the line asked for)',
    text,
  );
  await screenshot(ctx, 'overview-compare.png');
  await page.keyboard.press('Shift+F5');
  await page
    .locator('.debug-toolbar')
    .waitFor({ state: 'hidden', timeout: 15_000 })
    .catch(() => {});

  // Without a session the overview follows the trace's editor: a click reveals the line there.
  // (The panel is behind the compare document: the command brings it back.)
  await openFile(page, traceName);
  await runCommand(page, 'hptrace: Show Trace Overview');
  await poll(
    frame,
    () =>
      /no debug session/.test(document.getElementById('source').textContent) &&
      window.__hptraceOverview.data()?.complete === true,
  );
  // Each click from an inactive panel (the trace's tab clicked first): the editor shows the line and
  // stays the active editor, with its line in the status bar. Several clicks, because the panel's own
  // focus lands asynchronously and once took the active group back after the editor was shown.
  const fileLines = [...new Set(paramLines)].slice(0, 3);
  for (const line of fileLines) {
    await page.locator('.tab', { hasText: traceName }).first().click();
    const spot2 = await settledSpot(frame, line, 'H_PARAMETER');
    expect(spot2.at, `without a session, the bin of line ${line} has an H_PARAMETER part`, JSON.stringify(spot2));
    await frame.locator('#timeline').click({ position: { x: spot2.at.x, y: spot2.at.y } });
    const shows = (l) =>
      new RegExp(`Ln ${l},`).test(document.querySelector('[id="status.editor.selection"]')?.textContent ?? '');
    let ok = await poll(page, shows, line, 10_000).catch(() => false);
    // Stays so: a late focus of the panel would take the status bar's line away again.
    if (ok) {
      await page.waitForTimeout(600);
      ok = await page.evaluate(shows, line);
    }
    let seen;
    if (!ok) {
      // What the workbench showed instead: the status bar, the active group's tab, the focused element, the click sent.
      const where = await page.evaluate(() => ({
        status: document.querySelector('[id="status.editor.selection"]')?.textContent ?? '',
        activeTab: document.querySelector('.editor-group-container.active .tab.active')?.textContent,
        focus: document.activeElement?.className?.toString().slice(0, 80),
      }));
      const click = await frame.evaluate(() => window.__hptraceOverview.lastClick()).catch(() => 'unreadable');
      seen = JSON.stringify({ ...where, click });
    }
    expect(ok, `without a session, a click on the bin reveals line ${line} in the editor, which stays active`, seen);
  }
  const zoom = await resizeAndBrush(ctx, frame);
  log(
    `overview checks passed: drawn (${px.nonBlank} px, ${px.H_PARAMETER} in the H_PARAMETER colour), click → line ${moved}, light/dark, compare document, file mode → lines ${fileLines.join(', ')}, ${zoom}`,
  );
}

/** A trace with more lines than the timeline has pixels (6000 hcalls), for the resize and brush checks. */
const BIG_TRACE = 'overview-6k.hptrace';

/** Writes BIG_TRACE into the workspace; called before the workbench opens on it. */
export function prepareOverviewWorkspace(ctx, workspace) {
  runNode(path.join(ctx.extensionPath, 'scripts', 'gen.mjs'), [
    '--hcalls',
    '6000',
    '--seed',
    '11',
    '--out',
    path.join(workspace, BIG_TRACE),
  ]);
}

/**
 * On a trace with more lines than the timeline has pixels: the bins follow the panel's width when
 * it changes (the same range asked for again, one bin a pixel), a drag across the timeline zooms
 * to the lines under it, and a double click goes back to the whole trace.
 */
async function resizeAndBrush(ctx, frame) {
  const { page } = ctx;
  const name = BIG_TRACE;
  await openFile(page, name);
  await runCommand(page, 'hptrace: Show Trace Overview');
  const state = () =>
    frame.evaluate(() => {
      const o = window.__hptraceOverview;
      const d = o.data();
      return d && { asked: o.asked(), bins: d.bins, from: d.fromLine, to: d.toLine, complete: d.complete };
    });
  const whole = await poll(frame, () => {
    const o = window.__hptraceOverview;
    const d = o.data();
    return /overview-6k/.test(document.getElementById('source').textContent) &&
      d?.complete === true &&
      d.toLine > 6000 &&
      d.bins === o.asked()
      ? { asked: o.asked(), bins: d.bins, from: d.fromLine, to: d.toLine }
      : null;
  });
  // Toggling the side bar changes the editor group's width (wider when it was shown, narrower when
  // an earlier phase left it hidden): the webview asks for bins of its new width, same lines.
  const widthNow = () => frame.evaluate(() => parseFloat(document.getElementById('timeline').style.width));
  const w0 = await widthNow();
  await page.keyboard.press('Control+B');
  const resized = await poll(
    frame,
    (before) => {
      const o = window.__hptraceOverview;
      const d = o.data();
      return o.asked() !== before && d.bins === o.asked() ? { asked: o.asked(), bins: d.bins, from: d.fromLine } : null;
    },
    whole.asked,
  ).catch(async () => ({ stale: await state() }));
  const w1 = await widthNow();
  await page.keyboard.press('Control+B');
  expect(
    Math.sign(resized.bins - whole.bins) === Math.sign(w1 - w0) && w1 !== w0 && resized.from === whole.from,
    `after the panel's width changed (${w0} → ${w1} px), the overview asked for the same lines in as many bins as pixels`,
    `before ${JSON.stringify(whole)}, after ${JSON.stringify(resized)}`,
  );
  await poll(frame, (n) => window.__hptraceOverview.data().bins === n, whole.bins).catch(() => {});
  await settle(page, 500);

  // Drag from a quarter to a half of the timeline's width: the overview shows those lines only.
  const tl = await frame.locator('#timeline').boundingBox();
  const y = tl.y + tl.height / 2;
  await page.mouse.move(tl.x + tl.width * 0.25, y);
  await page.mouse.down();
  await page.mouse.move(tl.x + tl.width * 0.375, y, { steps: 4 });
  await page.mouse.move(tl.x + tl.width * 0.5, y, { steps: 4 });
  await page.mouse.up();
  const zoomed = await poll(
    frame,
    (w) => {
      const d = window.__hptraceOverview.data();
      return d && (d.fromLine > w.from || d.toLine < w.to) ? { from: d.fromLine, to: d.toLine, bins: d.bins } : null;
    },
    whole,
  ).catch(async () => ({ stale: await state() }));
  const n = whole.to - whole.from + 1;
  const near = (line, frac) => Math.abs(line - whole.from - frac * n) < 0.05 * n;
  expect(
    near(zoomed.from, 0.25) && near(zoomed.to, 0.5),
    'a drag across the second quarter of the timeline zooms to the second quarter of the lines',
    `whole ${whole.from}–${whole.to}, zoomed ${JSON.stringify(zoomed)}`,
  );
  // A double click shows the whole trace again.
  await frame.locator('#timeline').dblclick({ position: { x: tl.width * 0.7, y: tl.height / 2 } });
  const back = await poll(
    frame,
    (w) => {
      const d = window.__hptraceOverview.data();
      return d && d.fromLine === w.from && d.toLine === w.to ? { from: d.fromLine, to: d.toLine } : null;
    },
    whole,
  ).catch(async () => ({ stale: await state() }));
  expect(back.from === whole.from && back.to === whole.to, 'a double click shows the whole trace again', back);
  return `resize ${whole.bins} → ${resized.bins} bins, brush → lines ${zoomed.from}–${zoomed.to}, double click → whole`;
}
