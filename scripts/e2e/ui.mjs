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

export async function runUi(ctx) {
  const { page, workspace, log } = ctx;

  // Step 1: open the workspace and wait for the workbench.
  log(`opening workspace ${workspace}`);
  await openWorkbench(ctx, workspace);
  await screenshot(ctx, 'workbench.png');

  // ---- hook points for the extension's UI tests (add steps below) --------------------
  // Each step: drive the UI, wait for a concrete selector, then screenshot(ctx, 'NN-name.png').
  // Examples of what to add once the extension exists:
  //   - open a trace from `workspace` (quick open: Ctrl+P, type the file name, wait for the
  //     SEL.quickInputRow, Enter) and screenshot the editor with its syntax highlighting;
  //   - await runCommand(page, 'hptrace: ...') and wait for SEL.notification;
  //   - F5 with a launch.json in `workspace`, wait for '.debug-toolbar' and the call stack;
  //   - hover an HPTE value and wait for SEL.hover (click, move away, hover again).
}
