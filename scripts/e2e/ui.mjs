// UI phase of the end-to-end tests, run by scripts/e2e/run.mjs after the extension-host
// suite (skip it with `--no-ui`; run only it with `--no-suite`). It drives the real VS Code
// workbench (code-server in headless chromium) with playwright-core and saves screenshots
// into <repo>/test-artifacts/e2e/ (gitignored). A thrown error fails the run (exit code 1);
// run.mjs then saves ui-failure.png.
//
// run.mjs calls runUi({ page, context, baseUrl, workspace, artifactsDir, log, workbenchUrl, extensionPath }):
//   page          a fresh playwright Page (chromium, 1440x900)
//   context       its BrowserContext (context.newPage() for a second window)
//   baseUrl       http://127.0.0.1:PORT of code-server
//   workspace     absolute folder opened as the workspace (<repo>/examples, or a temp folder)
//   artifactsDir  absolute <repo>/test-artifacts/e2e
//   log(msg)      prints with the run's prefix
//   workbenchUrl(folder?)  URL of the workbench on `folder` (default: workspace) with the
//                 extension under development loaded (extensionDevelopmentPath payload)
//   extensionPath absolute path of the extension under test
//
// Practical notes (shared/notes/vscode-host.md): wait for the quick-open row before Enter;
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
export async function screenshot({ page, artifactsDir, log }, name) {
  const file = path.join(artifactsDir, name);
  await page.screenshot({ path: file });
  log?.(`screenshot ${path.relative(process.cwd(), file) || file}`);
  return file;
}

/** Fails the UI phase with what was expected and what the page showed. */
function expect(ok, what, seen) {
  if (!ok)
    throw new Error(
      `UI check failed: ${what}${seen !== undefined ? `\n  seen: ${JSON.stringify(String(seen).slice(0, 600))}` : ''}`,
    );
}

async function openFile(page, name) {
  await page.keyboard.press('Control+P');
  const input = page.locator(SEL.quickInputBox);
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  await page.locator(SEL.quickInputRow, { hasText: name }).first().waitFor({ state: 'visible', timeout: 10_000 });
  await page.keyboard.press('Enter');
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
 * The line the editor marks as the current (top) stack frame, read from the DOM: the view
 * overlay row carrying VS Code's `.debug-top-stack-frame-line` decoration, matched by its
 * `top` to the margin row that holds the line number. NaN when no marker is rendered.
 */
async function markerLine(page) {
  return page.evaluate(() => {
    const ed = [...document.querySelectorAll('.editor-instance .monaco-editor')].find((e) => e.offsetParent);
    if (!ed) return NaN;
    const hit = ed.querySelector('.view-overlays .debug-top-stack-frame-line');
    if (!hit) return NaN;
    const top = hit.parentElement.style.top;
    for (const row of ed.querySelectorAll('.margin-view-overlays > div')) {
      if (row.style.top === top) {
        const n = row.querySelector('.line-numbers');
        if (n) return Number(n.textContent.trim());
      }
    }
    return NaN;
  });
}

/** Wait until the current-line marker sits on `line`; returns the line it was last seen on. */
async function waitMarker(page, line, timeout = 15_000) {
  const end = Date.now() + timeout;
  let seen = NaN;
  while (Date.now() < end) {
    seen = await markerLine(page);
    if (seen === line) return seen;
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
  let seen = '';
  for (let attempt = 1; attempt <= 4; attempt++) {
    await target.click();
    await page.mouse.move(5, 5);
    await page.waitForTimeout(300);
    await target.hover();
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

export async function runUi(ctx) {
  const { page, log } = ctx;
  await page.setViewportSize({ width: 1600, height: 1000 });
  // A folder of its own, so the workbench does not restore the editors and panels the
  // extension-host suite left open in the shared workspace. Its settings only tidy the
  // screenshots: no Debug Console panel over the editor, no minimap.
  const workspace = ctx.workspace + '-ui';
  fs.cpSync(ctx.workspace, workspace, { recursive: true, filter: (src) => !src.includes(`${path.sep}.vscode`) });
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(
      {
        'debug.internalConsoleOptions': 'neverOpen',
        'editor.minimap.enabled': false,
        'workbench.panel.opensMaximized': 'never',
        'files.exclude': { '.vscode': true },
      },
      null,
      2,
    ) + '\n',
  );

  log(`opening workspace ${workspace}`);
  await openWorkbench(ctx, workspace);
  await widenSidebar(page, 460);
  await screenshot(ctx, 'workbench.png');

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

  // 2. Hovering a ptel shows its bit table (line 31 brought into view first).
  await page.keyboard.press('Control+G');
  await page.locator(SEL.quickInputBox).fill(':31');
  await page.keyboard.press('Enter');
  await settle(page, 500);
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
  // bring the W and I rows of the (scrollable) hover into view for the screenshot, keeping its title
  const hb = await page
    .locator(SEL.hover)
    .first()
    .boundingBox()
    .catch(() => null);
  if (hb) {
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height - 8, { steps: 3 });
    await page.evaluate(() => {
      const el = document.querySelector('.monaco-hover:not(.hidden) .monaco-scrollable-element > *:first-child');
      if (el) el.scrollTop = 24;
    });
    await page.waitForTimeout(400);
  }
  await screenshot(ctx, 'hover.png');
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 500);

  // 3. Debug This Trace: entry stop on the first hcall, then continue to the first H_PARAMETER.
  await runCommand(page, 'hptrace: Debug This Trace');
  await page.locator('.debug-toolbar').waitFor({ timeout: 20_000 });
  const entry = await waitMarker(page, 19);
  expect(
    entry === 19 && (await topFrameLine(page)) === 19,
    'the session stops on entry at the first hcall (line 19: marker and Call Stack)',
    `marker ${entry}, call stack ${await topFrameLine(page)}`,
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
  const csLine = await topFrameLine(page);
  expect(
    stopLine === 31 && csLine === 31,
    'the current-line marker and the Call Stack are on line 31',
    `marker ${stopLine}, call stack ${csLine}`,
  );
  await settle(page, 1000);
  await screenshot(ctx, 'stopped-exception.png');

  // The Memslots and slot_phys views in the Run and Debug side bar (Watch/Breakpoints folded
  // to make room; slot 0's 512 entries folded so that slot 1, the I/O slot, shows).
  await setPane(page, 'Watch', false);
  await setPane(page, 'Breakpoints', false);
  for (const name of ['Memslots', 'slot_phys']) {
    await page
      .locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`) })
      .first()
      .waitFor({ timeout: 10_000 });
    await setPane(page, name, true);
  }
  const memPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Memslots/ }) }).first();
  const spPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*slot_phys/ }) }).first();
  await memPane.locator('.monaco-list-row', { hasText: 'memslot 1' }).first().waitFor({ timeout: 15_000 });
  const slot0 = spPane.locator('.monaco-list-row', { hasText: /^\s*slot 0/ }).first();
  await slot0.waitFor({ timeout: 15_000 });
  if ((await slot0.getAttribute('aria-expanded')) === 'true') await slot0.locator('.monaco-tl-twistie').click();
  const slot1 = spPane.locator('.monaco-list-row', { hasText: /^\s*slot 1/ }).first();
  await slot1.waitFor({ timeout: 10_000 });
  if ((await slot1.getAttribute('aria-expanded')) === 'false') await slot1.locator('.monaco-tl-twistie').click();
  await spPane
    .locator('.monaco-list-row', { hasText: /0x3f80000020/ })
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => {});
  await settle(page, 800);
  const memslots = await memPane.innerText();
  expect(
    /memslot 0\s*gpa 0x0–0x20000000/.test(memslots) &&
      /memslot 1\s*gpa 0x200000000–0x200100000[^\n]*I\/O/.test(memslots),
    'the Memslots view lists memslot 0 (RAM at gpa 0) and memslot 1 (the I/O BAR at 0x200000000)',
    memslots,
  );
  const slotPhys = await spPane.innerText();
  expect(
    /slot 0\s*512 entries set/.test(slotPhys) &&
      /slot 1\s*3 entries set · I\/O/.test(slotPhys) &&
      /\[0x0\]\s*0x3f80000020\s*gfn 0x20000 → pfn 0x3f8000[^\n]*NO_CACHE/.test(slotPhys) &&
      /\[0x1\]\s*0x3f80010020/.test(slotPhys) &&
      /\[0x2\]\s*0x3f80020020[^\n]*◀ current hcall/.test(slotPhys),
    "the slot_phys view lists slot 0 (512 entries) and slot 1 (3 NO_CACHE I/O entries, [0x2] marked as the current hcall's)",
    slotPhys,
  );
  await screenshot(ctx, 'views.png');

  // The Variables view decodes the HPTE: fold the other panes, expand arguments → ptel.
  for (const name of ['Memslots', 'slot_phys', 'Call Stack']) await setPane(page, name, false);
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
  const backCs = await topFrameLine(page);
  expect(
    back === 28 && backCs === 28,
    'step back moves the current-line marker from line 31 up to the previous hcall on line 28',
    `marker ${back}, call stack ${backCs}`,
  );
  await settle(page, 500);
  await screenshot(ctx, 'step-back.png');
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 });

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
  await (await import('./ui-overview.mjs')).runOverviewUi(ctx, { workspace }); // Trace Overview checks (overview worker)
  log(
    'UI checks passed: language mode + colours, ptel hover table, entry stop, H_PARAMETER exception widget on line 31, Memslots + slot_phys views, decoded ptel in Variables, step back 31 → 28, Problems [Ln 5, Col 5], launch error :5:5',
  );
}
