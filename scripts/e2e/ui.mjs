// UI phase of the end-to-end tests, run by scripts/e2e/run.mjs after the extension-host
// suite (skip it with `--no-ui`; run only it with `--no-suite`). It drives the real VS Code
// workbench (code-server in headless chromium) with playwright-core and saves screenshots
// into <repo>/test-artifacts/e2e/ (gitignored). A thrown error fails the run (exit code 1);
// run.mjs then saves ui-failure.png.
//
// run.mjs calls runUi({ page, context, baseUrl, workspace, artifactsDir, log, workbenchUrl, extensionPath,
// width, phases, vscodeVersion }) once per window width (run.mjs WIDTHS) and VS Code version:
//   page          a fresh playwright Page (chromium; runUi sets the viewport to width x 1000)
//   width         window width in px (1250 narrow, 1600 wide); screenshots are named <width>-*.png
//   phases        names (substrings) of the phases to run; empty = all
//   vscodeVersion e.g. '1.100.3' (for messages)
//   context       its BrowserContext (context.newPage() for a second window)
//   baseUrl       http://127.0.0.1:PORT of code-server
//   workspace     absolute folder opened as the workspace (<repo>/examples, or a temp folder)
//   artifactsDir  absolute <repo>/test-artifacts/e2e
//   log(msg)      prints with the run's prefix
//   workbenchUrl(folder?)  URL of the workbench on `folder` (default: workspace) with the
//                 extension under development loaded (extensionDevelopmentPath payload)
//   extensionPath absolute path of the extension under test
//
// The phase is a list (PHASES below, then the `phases` exported by each module in PHASE_MODULES):
// each { name, run(ctx), vscode? } runs in order on the same workbench (`vscode`: a RegExp of the
// VS Code versions it runs on, default all); add a check as a phase of its own.
//
// Practical notes from driving it: wait for the quick-open row before Enter;
// a hover right after opening a file can be missed — click, move away, hover again.

import fs from 'node:fs';
import path from 'node:path';

/** Selectors of the VS Code workbench that UI steps commonly need. */
export const SEL = {
  workbench: '.monaco-workbench',
  statusbar: '.monaco-workbench .part.statusbar',
  activitybar: '.monaco-workbench .part.activitybar',
  explorerFolder: '.explorer-folders-view',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .monaco-list-row',
  notification: '.notifications-toasts .notification-toast',
  editor: '.editor-instance .monaco-editor',
  hover: '.monaco-hover:not(.hidden)',
};

/** Open `folder` in the workbench (extension under development loaded) and wait until it is up. */
export async function openWorkbench({ page, workbenchUrl, log }, folder) {
  await page.goto(workbenchUrl(folder), { waitUntil: 'domcontentloaded', timeout: 60_000 });
  await page.waitForSelector(SEL.workbench, { timeout: 60_000 });
  await page.waitForSelector(SEL.statusbar, { state: 'visible', timeout: 60_000 });
  // the explorer shows the opened folder once the workspace has been restored
  await page
    .waitForSelector(SEL.explorerFolder, { state: 'visible', timeout: 60_000 })
    .catch(() => log?.('explorer not visible (continuing)'));
  await settle(page);
}

/** Wait until no progress bar is running and layout has settled a little. */
export async function settle(page, ms = 750) {
  await page
    .waitForFunction(() => !document.querySelector('.monaco-progress-container.active.infinite'), null, {
      timeout: 15_000,
    })
    .catch(() => {});
  await page.waitForTimeout(ms);
}

/** Run a command from the command palette by (part of) its label, e.g. 'hptrace: Open Trace'. */
export async function runCommand(page, label) {
  await page.keyboard.press('F1');
  const input = page.locator(SEL.quickInputBox);
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('>' + label);
  // wait for the matching row before Enter (flaky otherwise)
  await page.locator(SEL.quickInputRow, { hasText: label }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.press('Enter');
}

/** Screenshot of the whole page into artifactsDir/name; returns the path. */
export async function screenshot({ page, artifactsDir, log, screenshotName }, name) {
  const file = path.join(artifactsDir, screenshotName ? screenshotName(name) : name);
  await page.screenshot({ path: file });
  if (process.env.HPTRACE_E2E_VERBOSE === '1') log?.(`screenshot ${path.relative(process.cwd(), file) || file}`);
  return file;
}

/** Fails the UI phase with what was expected and what the page showed. */
export function expect(ok, what, seen) {
  if (!ok)
    throw new Error(
      `UI check failed: ${what}${seen !== undefined ? `\n  seen: ${JSON.stringify(String(seen).slice(0, 600))}` : ''}`,
    );
}

/** Makes `name` the active editor: its tab when it is open, else through quick open. */
export async function openFile(page, name) {
  const tab = page.locator('.tab', { hasText: name }).first();
  if (await tab.count()) {
    await tab.click();
  } else {
    await page.keyboard.press('Control+P');
    const input = page.locator(SEL.quickInputBox);
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(name);
    await page.locator(SEL.quickInputRow, { hasText: name }).first().waitFor({ state: 'visible', timeout: 10_000 });
    await page.keyboard.press('Enter');
  }
  await page.locator('.tab.active', { hasText: name }).waitFor({ timeout: 10_000 });
  await settle(page);
}

/** The line number of the top stack frame, read from the Call Stack view ("… 31:1"). */
async function topFrameLine(page) {
  const row = page.locator('.debug-call-stack .monaco-list-row .stack-frame').first();
  await row.waitFor({ timeout: 15_000 });
  const text = await row.innerText();
  const m = /(\d+):\d+\s*$/.exec(text.trim());
  return m ? Number(m[1]) : NaN;
}

/**
 * The Call Stack's top frame line once it shows `want` (it re-renders a moment after the editor's
 * marker moves, later still when its pane was just expanded), or what it shows after `ms`.
 */
async function waitTopFrameLine(page, want, ms = 10_000) {
  const t0 = Date.now();
  let line = await topFrameLine(page);
  while (line !== want && Date.now() - t0 < ms) {
    await page.waitForTimeout(150);
    line = await topFrameLine(page);
  }
  return line;
}

/**
 * The line a visible editor marks as the current (top) stack frame, read from the DOM: the view
 * overlay row carrying VS Code's `.debug-top-stack-frame-line` decoration, matched by its
 * `top` to the margin row that holds the line number. NaN when no marker is rendered.
 */
export async function markerLine(page) {
  return page.evaluate(() => {
    for (const ed of document.querySelectorAll('.editor-instance .monaco-editor')) {
      if (!ed.offsetParent) continue;
      const hit = ed.querySelector('.view-overlays .debug-top-stack-frame-line');
      if (!hit) continue;
      const top = hit.parentElement.style.top;
      for (const row of ed.querySelectorAll('.margin-view-overlays > div'))
        if (row.style.top === top) return Number(row.querySelector('.line-numbers')?.textContent.trim());
    }
    return NaN;
  });
}

/**
 * Wait until the current-line marker sits on `want` (a line, or a test of the line); returns the line
 * it was last seen on.
 */
export async function waitMarker(page, want, timeout = 15_000) {
  const ok = typeof want === 'function' ? want : (l) => l === want;
  const end = Date.now() + timeout;
  let seen = NaN;
  while (Date.now() < end) {
    seen = await markerLine(page);
    if (ok(seen)) return seen;
    await page.waitForTimeout(200);
  }
  return seen;
}

/** Expand (true) or collapse (false) a pane of the side bar by its title. */
async function setPane(page, name, expanded) {
  const header = page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }).first();
  if (!(await header.count())) return;
  if ((await header.getAttribute('aria-expanded')) !== String(expanded)) await header.click();
}

/** Drag the sash on the right of the side bar so tree labels and values are readable. */
async function widenSidebar(page, width) {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar || bar.width >= width) return;
  const x = bar.x + bar.width;
  const y = bar.y + bar.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - bar.width) / 2, y, { steps: 4 });
  await page.mouse.move(bar.x + width, y, { steps: 4 });
  await page.mouse.up();
  await page.mouse.move(5, 500);
  await page.waitForTimeout(300);
}

/**
 * Hover `token` in the editor and return the hover widget's text once it shows a bit table.
 * A hover right after opening a file can be missed: click, move away, hover again (4 tries).
 * Returns { text, attempts, seen } — `seen` is the last other hover text, for the failure message.
 */
async function hoverText(page, token) {
  const target = page.locator('.monaco-editor .view-lines span span').getByText(token, { exact: true }).first();
  // Point at the token with the mouse, as a reader does: at its visible part (left of the
  // vertical scrollbar). Never locator.hover()/click(): playwright scrolls the target into view
  // first, and for a token under the scrollbar that scrolls the editor's clipped DOM sideways —
  // the shift this phase checks that a hover does not cause.
  const point = async () => {
    await target.waitFor({ timeout: 10_000 });
    const box = await target.boundingBox();
    const right = await page.evaluate(() => {
      const ed = [...document.querySelectorAll('.editor-instance .monaco-editor')].find((e) => e.offsetParent);
      const bar = ed?.querySelector('.editor-scrollable > .scrollbar.vertical');
      return bar ? bar.getBoundingClientRect().x : Infinity;
    });
    const x = Math.min(box.x + box.width / 2, box.x + (right - box.x) / 2, right - 4);
    return { x, y: box.y + box.height / 2 };
  };
  let seen = '';
  for (let attempt = 1; attempt <= 4; attempt++) {
    const p = await point();
    if (attempt > 1) {
      // a hover right after opening a file can be missed: click, move away, hover again
      await page.mouse.click(p.x, p.y);
      await page.mouse.move(5, 5);
      await page.waitForTimeout(300);
    }
    await page.mouse.move(p.x - 3, p.y, { steps: 2 });
    await page.mouse.move(p.x, p.y, { steps: 2 });
    const hover = page.locator(SEL.hover).first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 4_000 });
      const t = await hover.innerText();
      if (t.includes('WIMG')) return { text: t, attempts: attempt, seen };
      seen = t;
    } catch {
      /* missed: try again, as the notes say */
    }
  }
  return { text: '', attempts: 4, seen };
}

/** Other files' phases: each module exports `phases` ([{ name, run(ctx) }]), run after PHASES. */
export const PHASE_MODULES = [];

/**
 * Where the editor's text and scrollbars are, read from the DOM of the visible editor: every
 * scroll offset from the editor's overflow guard up to the page, the lines' horizontal offset and
 * the vertical scrollbar's x. A hover must leave all of them as they were (issue 12: a wide hover
 * scrolled the overflow guard sideways and left the scrollbar drawn in the middle of the text).
 */
export async function editorScrollState(page) {
  return page.evaluate(() => {
    const ed = [...document.querySelectorAll('.editor-instance .monaco-editor')].find((e) => e.offsetParent);
    if (!ed) return { missing: true };
    const offsets = [];
    for (let el = ed.querySelector('.overflow-guard'); el; el = el.parentElement)
      if (el.scrollLeft || el.scrollTop)
        offsets.push(`${el.className.split(' ')[0] || el.tagName}:${el.scrollLeft},${el.scrollTop}`);
    const inner = [...ed.querySelectorAll('.overflow-guard *')].filter(
      (e) => e.scrollLeft && !e.closest('.monaco-hover'),
    );
    const vbar = ed.querySelector('.editor-scrollable > .scrollbar.vertical');
    return {
      offsets,
      innerScrolled: inner.map((e) => `${e.className.split(' ')[0]}:${e.scrollLeft}`),
      linesLeft: ed.querySelector('.lines-content')?.style.left ?? '',
      vbarX: vbar ? Math.round(vbar.getBoundingClientRect().x) : null,
      editorX: Math.round(ed.getBoundingClientRect().x),
    };
  });
}

/** Rows of a tree pane whose label or description is cut off (ellipsis) at the pane's width. */
async function cutRows(pane) {
  return pane.evaluate((el) =>
    [...el.querySelectorAll('.monaco-list-row')]
      .filter((row) => {
        const c = row.querySelector('.monaco-icon-label-container');
        return c && c.scrollWidth > c.clientWidth + 1;
      })
      .map((row) => row.innerText.replace(/\s+/g, ' ').trim()),
  );
}

const paneOf = (page, name) =>
  page.locator('.pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`) }) }).first();

// ---- phases ----------------------------------------------------------------
async function phaseLanguage(ctx) {
  const { page } = ctx;
  // 1. A trace opens in the hptrace language, highlighted.
  await openFile(page, '1-io-bar.hptrace');
  const modeItem = page.locator('[id="status.editor.mode"]').first();
  await page
    .waitForFunction(() => /hptrace/i.test(document.getElementById('status.editor.mode')?.textContent ?? ''), null, {
      timeout: 15_000,
    })
    .catch(() => {});
  const mode = (await modeItem.count()) ? await modeItem.innerText() : await page.locator(SEL.statusbar).innerText();
  expect(
    /^\s*hptrace( trace)?\s*$/i.test(mode),
    'the status bar\'s language mode is hptrace ("hptrace trace", the language\'s display name)',
    mode,
  );
  // distinct token colours on screen, and the keyword `hcall` coloured unlike the comment
  const colours = await page.evaluate(() => {
    const spans = [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines span[class*="mtk"]')];
    const of = (re) =>
      spans
        .find((e) => re.test(e.textContent))
        ?.ownerDocument.defaultView.getComputedStyle(spans.find((e) => re.test(e.textContent))).color;
    return {
      distinct: new Set(spans.map((e) => getComputedStyle(e).color)).size,
      hcall: of(/^hcall$/),
      comment: of(/^#/),
      plain: of(/^ $/),
    };
  });
  expect(
    colours.distinct >= 4 &&
      colours.hcall &&
      colours.comment &&
      colours.hcall !== colours.comment &&
      colours.hcall !== colours.plain,
    'the trace is highlighted (>= 4 colours; `hcall` coloured unlike comments and plain text)',
    JSON.stringify(colours),
  );
  await screenshot(ctx, 'editor.png');
}

async function phaseTitleButtons(ctx) {
  const { page } = ctx;
  await openFile(page, '1-io-bar.hptrace');
  // One debug button in the editor title: the Run menu (editor/title/run) provides it; the
  // command was also contributed to editor/title, which drew a second, identical button.
  const actions = page
    .locator('.editor-group-container.active .title-actions, .editor-group-container.active .editor-actions')
    .first();
  await actions.waitFor({ timeout: 10_000 });
  await page.waitForTimeout(500);
  const icons = await actions.evaluate((el) =>
    [...el.querySelectorAll('.codicon')].map((c) => [...c.classList].find((k) => /^codicon-(?!modifier)/.test(k))),
  );
  const debugButtons = icons.filter((c) => c === 'codicon-debug-alt').length;
  expect(debugButtons === 1, 'the editor title shows exactly one debug button', icons.join(' '));
  // The Run menu keeps both entries: open the dropdown next to the debug button.
  const dropdown = actions
    .locator(
      '.action-item:has(.codicon-debug-alt) .monaco-dropdown .dropdown-label, .action-item:has(.codicon-debug-alt) .codicon-chevron-down, .action-item:has(.codicon-debug-alt) + .action-item .codicon-chevron-down',
    )
    .first();
  if (await dropdown.count()) {
    await dropdown.click();
    const menu = page.locator('.context-view .monaco-menu, .monaco-menu-container').first();
    await menu.waitFor({ timeout: 5_000 });
    const items = await menu.innerText();
    expect(
      /Debug This Trace/.test(items) && /Run \(Replay\) This Trace/.test(items),
      'the editor title\'s Run menu lists "Debug This Trace" and "Run (Replay) This Trace"',
      items,
    );
    await screenshot(ctx, 'title-run-menu.png');
    await page.keyboard.press('Escape');
  } else {
    expect(false, 'the debug button of the editor title has a Run menu (dropdown)', icons.join(' '));
  }
}

async function phaseHover(ctx) {
  const { page, log } = ctx;
  // Hovering a ptel shows its bit table (line 31 brought into view first), and the editor does
  // not move: at 1250 px the hover is wider than the room right of the token.
  await openFile(page, '1-io-bar.hptrace');
  await page.keyboard.press('Control+G');
  await page.locator(SEL.quickInputBox).fill(':31');
  await page.keyboard.press('Enter');
  await settle(page, 500);
  const before = await editorScrollState(page);
  const { text: hover, attempts, seen: otherHover } = await hoverText(page, '0x20002106a');
  if (attempts > 1) log(`hover appeared on attempt ${attempts}`);
  expect(
    /WIMG/.test(hover) && /RPN/.test(hover) && /cache-inhibited/.test(hover) && /write-through/.test(hover),
    'the hover over ptel=0x20002106a shows the decoded bit table (RPN, WIMG, W write-through, I cache-inhibited)',
    hover ||
      (otherHover
        ? `no bit table after 4 attempts; the hover showed: ${otherHover}`
        : 'no hover widget appeared in 4 attempts (click, move away, hover again)'),
  );
  await page.waitForTimeout(600);
  const during = await editorScrollState(page);
  const hb = await page
    .locator(SEL.hover)
    .first()
    .boundingBox()
    .catch(() => null);
  if (hb) {
    // move into the hover (as a reader does) and scroll it to its W and I rows
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height - 8, { steps: 3 });
    await page.evaluate(() => {
      const el = document.querySelector('.monaco-hover:not(.hidden) .monaco-scrollable-element > *:first-child');
      if (el) el.scrollTop = 24;
    });
    await page.waitForTimeout(400);
  }
  const inside = await editorScrollState(page);
  await screenshot(ctx, 'hover.png');
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 500);
  await page.waitForTimeout(400);
  const after = await editorScrollState(page);
  const same = (a) => JSON.stringify(a) === JSON.stringify(before);
  expect(
    same(during) && same(inside) && same(after),
    `the editor's scroll position and scrollbar stay put while the ptel hover shows and after it closes (window ${ctx.width} px)`,
    JSON.stringify({ before, during, inside, after }),
  );
}

async function phaseDebug(ctx) {
  const { page } = ctx;
  await openFile(page, '1-io-bar.hptrace');
  // 3. Debug This Trace: entry stop on the first hcall, then continue to the first H_PARAMETER.
  await runCommand(page, 'hptrace: Debug This Trace');
  await page.locator('.debug-toolbar').waitFor({ timeout: 20_000 });
  // VS Code 1.139 leaves the side bar on the Explorer: show Run and Debug
  if (!(await page.locator('.debug-call-stack').count())) await runCommand(page, 'View: Show Run and Debug');
  const entry = await waitMarker(page, 19);
  const entryCs = await waitTopFrameLine(page, 19);
  expect(
    entry === 19 && entryCs === 19,
    'the session stops on entry at the first hcall (line 19: marker and Call Stack)',
    `marker ${entry}, call stack ${entryCs}`,
  );
  await page.keyboard.press('F5');
  const widget = page.locator('.zone-widget .exception-widget').first();
  await widget.waitFor({ timeout: 20_000 });
  const wtext = await widget.innerText();
  expect(
    /H_PARAMETER/.test(wtext) && /does not match the slot's cache bits/.test(wtext),
    'the exception widget names the failed check ("… does not match the slot\'s cache bits I")',
    wtext,
  );
  const stopLine = await waitMarker(page, 31);
  const csLine = await waitTopFrameLine(page, 31);
  expect(
    stopLine === 31 && csLine === 31,
    'the current-line marker and the Call Stack are on line 31',
    `marker ${stopLine}, call stack ${csLine}`,
  );
  await settle(page, 1000);
  await screenshot(ctx, 'stopped-exception.png');

  // The Memslots and slot_phys views at the default side bar width (Watch/Breakpoints/Variables
  // folded to make room). Nothing is clicked in them: they must lead with the stop by themselves.
  for (const name of ['Variables', 'Watch', 'Breakpoints', 'Call Stack']) await setPane(page, name, false);
  for (const name of ['Memslots', 'slot_phys']) {
    await page
      .locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`) })
      .first()
      .waitFor({ timeout: 10_000 });
    await setPane(page, name, true);
  }
  const memPane = paneOf(page, 'Memslots');
  const spPane = paneOf(page, 'slot_phys');
  await spPane
    .locator('.monaco-list-row', { hasText: /0x3f80020020/ })
    .first()
    .waitFor({ timeout: 15_000 })
    .catch(() => {});
  await memPane
    .locator('.monaco-list-row', { hasText: /^\s*hva/ })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => {});
  await settle(page, 800);
  const rowState = (pane, re) =>
    pane.evaluate((el, src) => {
      const re = new RegExp(src);
      // matched on the label alone (the description follows it without a space in innerText)
      const row = [...el.querySelectorAll('.monaco-list-row')].find((r) =>
        re.test(r.querySelector('.label-name')?.textContent.trim() ?? ''),
      );
      if (!row) return null;
      const list = row.closest('.monaco-list').getBoundingClientRect();
      const box = row.getBoundingClientRect();
      return {
        expanded: row.getAttribute('aria-expanded'),
        selected: row.classList.contains('selected'),
        visible: box.top >= list.top - 1 && box.bottom <= list.bottom + 1,
        text: `${row.querySelector('.label-name')?.textContent.trim()} ${row.querySelector('.label-description')?.textContent.trim() ?? ''}`,
      };
    }, re.source);
  const mem0 = await rowState(memPane, /^memslot 0$/);
  const mem1 = await rowState(memPane, /^memslot 1$/);
  const slot0 = await rowState(spPane, /^slot 0$/);
  const slot1 = await rowState(spPane, /^slot 1$/);
  const entry2 = await rowState(spPane, /^\[0x2\] 0x3f80020020$/);
  const memslots = await memPane.innerText();
  const slotPhys = await spPane.innerText();
  const seen = JSON.stringify({ mem0, mem1, slot0, slot1, entry2, memslots, slotPhys });
  expect(
    mem1?.expanded === 'true' && mem0?.expanded === 'false' && /I\/O/.test(mem1.text) && /◀/.test(mem1.text),
    'the Memslots view opens memslot 1 (the I/O slot the current hcall used, marked I/O and ◀) and keeps memslot 0 closed',
    seen,
  );
  expect(
    slot1?.expanded === 'true' && slot0?.expanded === 'false' && /I\/O/.test(slot1.text),
    'the slot_phys view opens slot 1 (marked I/O) and keeps slot 0 (512 RAM entries) closed',
    seen,
  );
  expect(
    entry2?.visible && /NO_CACHE ◀/.test(entry2.text),
    'the slot_phys entry of the current hcall ([0x2], NO_CACHE) is revealed (in view) and marked ◀',
    seen,
  );
  await page.mouse.move(700, 5); // no row hovered (its inline actions would take room)
  await page.waitForTimeout(300);
  const cut = [...(await cutRows(memPane)), ...(await cutRows(spPane))];
  expect(cut.length === 0, 'every Memslots and slot_phys row fits the default-width side bar', cut.join('\n'));
  await screenshot(ctx, 'views.png');

  // The Variables view decodes the HPTE: fold the other panes, expand arguments → ptel.
  await widenSidebar(page, 460);
  for (const name of ['Memslots', 'slot_phys', 'Call Stack']) await setPane(page, name, false);
  await setPane(page, 'Variables', true);
  await settle(page, 500);
  const vars = page.locator('.debug-variables');
  await vars
    .locator('.monaco-list-row', { hasText: /^\s*arguments/ })
    .first()
    .click();
  // The list is virtual: scroll it with the wheel so that the rows below get rendered.
  const box = await vars.boundingBox();
  const row = (re) => vars.locator('.monaco-list-row', { hasText: re }).first();
  for (let k = 0; k < 8 && !(await row(/^\s*ptel/).count()); k++) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 40);
    await page.waitForTimeout(300);
  }
  await row(/^\s*ptel/).click();
  await row(/^\s*PP0/).waitFor({ timeout: 10_000 });
  for (let k = 0; k < 6 && !(await vars.locator('.monaco-list-row', { hasText: /cache-inhibited/ }).count()); k++) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, 60);
    await page.waitForTimeout(300);
  }
  await vars
    .locator('.monaco-list-row', { hasText: /cache-inhibited/ })
    .first()
    .waitFor({ timeout: 10_000 });
  await page.mouse.move(5, 500);
  await page.waitForTimeout(300);
  const vtext = await vars.innerText();
  expect(
    /RPN\s*=\s*0x200021\s*address 0x200021000/.test(vtext) &&
      /W\s*=\s*0x1\s*write-through/.test(vtext) &&
      /I\s*=\s*0x1\s*cache-inhibited/.test(vtext),
    'the Variables view shows ptel decoded (RPN 0x200021, W=1 write-through, I=1 cache-inhibited)',
    vtext,
  );
  await screenshot(ctx, 'variables.png');
  for (const name of ['Call Stack', 'Memslots', 'slot_phys']) await setPane(page, name, true);

  // Step back (the debug toolbar's button) moves the current-line marker up, to line 28.
  await page.locator('.debug-toolbar .codicon-debug-step-back').first().click();
  const back = await waitMarker(page, 28);
  const backCs = await waitTopFrameLine(page, 28);
  expect(
    back === 28 && backCs === 28,
    'step back moves the current-line marker from line 31 up to the previous hcall on line 28',
    `marker ${back}, call stack ${backCs}`,
  );
  await settle(page, 500);
  await screenshot(ctx, 'step-back.png');
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 });
}

async function phaseProblems(ctx) {
  const { page } = ctx;
  // 4. A malformed trace: Problems panel and a failed launch, both with the position.
  await openFile(page, 'malformed.hptrace');
  await page.keyboard.press('Control+Shift+M');
  const markers = page.locator('.markers-panel .monaco-list-row');
  await markers.first().waitFor({ timeout: 15_000 });
  await settle(page, 1000);
  const first = await markers
    .filter({ hasText: /overlaps/ })
    .first()
    .innerText();
  expect(
    /vma 0x7fff08000000-0x7fff18000000 overlaps the live vma 0x7fff00000000-0x7fff10000000 from line 4/.test(first) &&
      /\[Ln 5, Col 5\]/.test(first),
    'the Problems panel lists the overlapping vma at [Ln 5, Col 5]',
    await page.locator('.markers-panel').innerText(),
  );
  await screenshot(ctx, 'problems.png');
  await runCommand(page, 'hptrace: Debug This Trace');
  const err = page
    .locator('.monaco-dialog-box, .notifications-toasts .notification-toast')
    .filter({ hasText: /malformed\.hptrace:\d+:\d+/ })
    .first();
  await err.waitFor({ timeout: 20_000 });
  const etext = await err.innerText();
  expect(
    /malformed\.hptrace:5:5: vma 0x7fff08000000-0x7fff18000000 overlaps/.test(etext),
    'the failed launch names the same position (malformed.hptrace:5:5)',
    etext,
  );
  await screenshot(ctx, 'launch-error.png');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+M'); // close the panel again
}

/** The UI phase's checks, in order. */
export const PHASES = [
  { name: 'language', run: phaseLanguage },
  { name: 'title-buttons', run: phaseTitleButtons },
  { name: 'hover', run: phaseHover },
  { name: 'debug', run: phaseDebug },
  { name: 'problems', run: phaseProblems },
  // Trace Overview checks (overview worker's scripts/e2e/ui-overview.mjs)
  {
    name: 'overview',
    run: async (ctx) => (await import('./ui-overview.mjs')).runOverviewUi(ctx, { workspace: ctx.workspace }),
    // files it needs are written before the workbench opens (quick open may not list a new file for a while)
    prepare: async (ctx, workspace) => (await import('./ui-overview.mjs')).prepareOverviewWorkspace(ctx, workspace),
  },
];

export async function runUi(ctx) {
  const { page, log } = ctx;
  const width = ctx.width ?? 1600;
  await page.setViewportSize({ width, height: 1000 });
  // A folder of its own, so the workbench does not restore the editors and panels the
  // extension-host suite (or the other width's run) left open. Its settings only tidy the
  // screenshots: no Debug Console panel over the editor, no minimap.
  const workspace = `${ctx.workspace}-ui-${width}`;
  fs.cpSync(ctx.workspace, workspace, { recursive: true, filter: (src) => !src.includes(`${path.sep}.vscode`) });
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'debug.internalConsoleOptions': 'neverOpen',
        'debug.openDebug': 'openOnSessionStart',
        'editor.minimap.enabled': false,
        'workbench.panel.opensMaximized': 'never',
        'files.exclude': { '.vscode': true },
      },
      null,
      2,
    ) + '\n',
  );
  const phases = [...PHASES];
  for (const m of PHASE_MODULES) phases.push(...(await import(new URL(m, import.meta.url).href)).phases);
  const wanted = (
    ctx.phases?.length ? phases.filter((p) => ctx.phases.some((w) => p.name.includes(w))) : phases
  ).filter((p) => !p.vscode || !ctx.vscodeVersion || p.vscode.test(ctx.vscodeVersion));
  const shot = { ...ctx, width, workspace };
  shot.artifactsDir = ctx.artifactsDir;
  // screenshots of this width carry its prefix
  const pctx = {
    ...shot,
    screenshotName: (n) => `${width}-${n}`,
  };

  for (const p of wanted) await p.prepare?.(ctx, workspace);
  log(
    `opening workspace ${workspace} (window ${width} px${ctx.vscodeVersion ? `, VS Code ${ctx.vscodeVersion}` : ''})`,
  );
  await openWorkbench(ctx, workspace);
  await screenshot(pctx, 'workbench.png');
  const passed = [];
  for (const p of wanted) {
    await p.run(pctx);
    passed.push(p.name);
  }
  log(`UI checks passed: ${passed.join(', ')}`);
}
