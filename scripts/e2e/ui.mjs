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
  await page.waitForSelector(SEL.explorerFolder, { state: 'visible', timeout: 60_000 }).catch(() => log?.('explorer not visible (continuing)'));
  await settle(page);
}

/** Wait until no progress bar is running and layout has settled a little. */
export async function settle(page, ms = 750) {
  await page
    .waitForFunction(() => !document.querySelector('.monaco-progress-container.active.infinite'), null, { timeout: 15_000 })
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
  if (!ok) throw new Error(`UI check failed: ${what}${seen !== undefined ? `\n  seen: ${JSON.stringify(String(seen).slice(0, 600))}` : ''}`);
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

async function hoverText(page, token) {
  const target = page.locator('.monaco-editor .view-lines span span').getByText(token, { exact: true }).first();
  for (let attempt = 0; attempt < 4; attempt++) {
    await target.click();
    await page.mouse.move(5, 5);
    await page.waitForTimeout(300);
    await target.hover();
    const hover = page.locator(SEL.hover).first();
    try {
      await hover.waitFor({ state: 'visible', timeout: 4_000 });
      const t = await hover.innerText();
      if (t.includes('WIMG')) return t;
    } catch {
      /* missed: try again, as the notes say */
    }
  }
  return '';
}

export async function runUi(ctx) {
  const { page, log } = ctx;
  await page.setViewportSize({ width: 1600, height: 1000 });
  // A folder of its own, so the workbench does not restore the editors and panels the
  // extension-host suite left open in the shared workspace.
  const workspace = ctx.workspace + '-ui';
  fs.cpSync(ctx.workspace, workspace, { recursive: true, filter: (src) => !src.includes(`${path.sep}.vscode`) });

  log(`opening workspace ${workspace}`);
  await openWorkbench(ctx, workspace);
  await screenshot(ctx, 'workbench.png');

  // 1. A trace opens in the hptrace language, highlighted.
  await openFile(page, '1-io-bar.hptrace');
  const mode = await page.locator('.statusbar-item', { hasText: /hptrace/ }).first().innerText({ timeout: 10_000 });
  expect(/hptrace/i.test(mode), 'the status bar names the hptrace language', mode);
  const coloured = await page.locator('.monaco-editor .view-lines span[class*="mtk"]').evaluateAll((els) => new Set(els.map((e) => getComputedStyle(e).color)).size);
  expect(coloured >= 4, 'the trace is highlighted in several colours', coloured);
  await screenshot(ctx, 'editor.png');

  // 2. Hovering a ptel shows its bit table (line 31 brought into view first).
  await page.keyboard.press('Control+G');
  await page.locator(SEL.quickInputBox).fill(':31');
  await page.keyboard.press('Enter');
  await settle(page, 500);
  const hover = await hoverText(page, '0x20002106a');
  expect(/WIMG/.test(hover) && /RPN/.test(hover) && /cache-inhibited|write-through/.test(hover), 'the hover over ptel=0x20002106a shows the decoded bit table', hover);
  await screenshot(ctx, 'hover.png');
  await page.keyboard.press('Escape');

  // 3. Debug This Trace: entry stop, then continue to the first H_PARAMETER.
  await runCommand(page, 'hptrace: Debug This Trace');
  await page.locator('.debug-toolbar').waitFor({ timeout: 20_000 });
  expect((await topFrameLine(page)) === 19, 'the session stops on entry at the first hcall (line 19)', await topFrameLine(page));
  await page.keyboard.press('F5');
  const widget = page.locator('.exception-widget').first();
  await widget.waitFor({ timeout: 20_000 });
  const wtext = await widget.innerText();
  expect(/H_PARAMETER/.test(wtext) && /does not match the slot's cache bits/.test(wtext), 'the exception widget names the failed check', wtext);
  expect((await topFrameLine(page)) === 31, 'stopped on line 31', await topFrameLine(page));
  await settle(page, 1500);
  await screenshot(ctx, 'stopped-exception.png');

  // The Memslots and slot_phys views in the Run and Debug side bar.
  for (const name of ['Memslots', 'slot_phys']) {
    const header = page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`) }).first();
    await header.waitFor({ timeout: 10_000 });
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  }
  await settle(page, 1000);
  const memslots = await page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Memslots/ }) }).first().innerText();
  expect(/memslot 0/.test(memslots) && /memslot 1/.test(memslots), 'the Memslots view lists memslots 0 and 1', memslots);
  const spPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*slot_phys/ }) }).first();
  await spPane.locator('.monaco-list-row').first().waitFor({ timeout: 15_000 });
  const slotPhys = await spPane.innerText();
  expect(/0x/.test(slotPhys), 'the slot_phys view lists entries', slotPhys);
  await screenshot(ctx, 'views.png');

  // The Variables view decodes the HPTE. The side bar is crowded: fold the other panes first.
  for (const name of ['Watch', 'Breakpoints', 'Memslots', 'slot_phys']) {
    const header = page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }).first();
    if ((await header.count()) && (await header.getAttribute('aria-expanded')) === 'true') await header.click();
  }
  await settle(page, 500);
  const vars = page.locator('.debug-variables');
  await vars.locator('.monaco-list-row', { hasText: /^\s*arguments/ }).first().click();
  // The pane is short and its list virtual: scroll it with the wheel so the rows get rendered.
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
  await vars.locator('.monaco-list-row', { hasText: /cache-inhibited/ }).first().waitFor({ timeout: 10_000 });
  const vtext = await vars.innerText();
  expect(/address 0x200021000/.test(vtext) && /0x1\s+write-through/.test(vtext) && /0x1\s+cache-inhibited/.test(vtext), 'the Variables view shows ptel decoded (RPN, W=1, I=1)', vtext);
  await screenshot(ctx, 'variables.png');
  for (const name of ['Breakpoints', 'Memslots', 'slot_phys']) {
    const header = page.locator('.pane-header', { hasText: new RegExp(`^\\s*${name}`, 'i') }).first();
    if ((await header.count()) && (await header.getAttribute('aria-expanded')) === 'false') await header.click();
  }

  // Step back moves the current line up.
  await page.locator('.debug-toolbar .codicon-debug-step-back').first().click();
  await page.waitForFunction(() => {
    const r = document.querySelector('.debug-call-stack .monaco-list-row .stack-frame');
    return r && /\b28:\d+\s*$/.test(r.textContent.trim());
  }, null, { timeout: 15_000 }).catch(() => {});
  const back = await topFrameLine(page);
  expect(back === 28, 'step back moves from line 31 to the previous hcall on line 28', back);
  await screenshot(ctx, 'step-back.png');
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => {});

  // 4. A malformed trace: Problems panel and a failed launch, both with the position.
  await openFile(page, 'malformed.hptrace');
  await page.keyboard.press('Control+Shift+M');
  const markers = page.locator('.markers-panel .monaco-list-row');
  await markers.first().waitFor({ timeout: 15_000 });
  await settle(page, 1000);
  const problems = await page.locator('.markers-panel').innerText();
  expect(/overlaps/.test(problems) && /\[Ln 5, Col 5\]/.test(problems), 'the Problems panel lists the overlapping vma at Ln 5, Col 5', problems);
  await screenshot(ctx, 'problems.png');
  await runCommand(page, 'hptrace: Debug This Trace');
  const err = page.locator('.monaco-dialog-box, .notifications-toasts .notification-toast').filter({ hasText: /malformed\.hptrace:\d+:\d+/ }).first();
  await err.waitFor({ timeout: 20_000 });
  const etext = await err.innerText();
  expect(/malformed\.hptrace:5:5: vma .* overlaps/.test(etext), 'the failed launch shows the same position (5:5)', etext);
  await screenshot(ctx, 'launch-error.png');
  await page.keyboard.press('Escape');
  log('UI checks passed: language, hover, stop on H_PARAMETER with exception widget, views, variables, step back, Problems, launch error');
}
