/** The Trace Overview webview's page: strict CSP, the nonce on its one script, nothing remote or inline. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { newNonce, overviewHtml } from '../../../src/extension/overview/overviewHtml';
import { ROOT } from '../../helpers/paths';

test('overview HTML: CSP with a nonce, only the extension’s own script and stylesheet', () => {
  const nonce = newNonce();
  assert.match(nonce, /^[A-Za-z0-9]{20,}$/);
  assert.notEqual(newNonce(), nonce, 'a new nonce per page');
  const html = overviewHtml({
    cspSource: 'https://file+.vscode-resource.example',
    scriptUri: 'https://file+.vscode-resource.example/media/overview/overview.js',
    styleUri: 'https://file+.vscode-resource.example/media/overview/overview.css',
    nonce,
  });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  assert.match(csp, /^default-src 'none';/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][1], new RegExp(`nonce="${nonce}"`));
  assert.equal(scripts[0][2].trim(), '', 'no inline code');
  assert.doesNotMatch(html, /style="/, 'no inline styles');
  assert.doesNotMatch(html, /https?:\/\/(?!file\+\.vscode-resource\.example)/, 'no remote content');
  for (const id of ['timeline', 'heat', 'legend', 'tip', 'range', 'reset', 'compare', 'source', 'status', 'heatInfo'])
    assert.match(html, new RegExp(`id="${id}"`), `element #${id} the script uses`);
});

test('the webview script and stylesheet exist, load nothing remote and use theme variables', () => {
  const js = fs.readFileSync(path.join(ROOT, 'media', 'overview', 'overview.js'), 'utf8');
  const css = fs.readFileSync(path.join(ROOT, 'media', 'overview', 'overview.css'), 'utf8');
  assert.doesNotMatch(js + css, /https?:\/\//);
  assert.doesNotMatch(js, /\beval\(|new Function\(/);
  assert.match(js, /--vscode-charts-red/);
  assert.match(css, /var\(--vscode-editor-background\)/);
  for (const id of js.matchAll(/\$\('([A-Za-z]+)'\)/g))
    assert.match(
      overviewHtml({ cspSource: 'x', scriptUri: 'x', styleUri: 'x', nonce: 'n' }),
      new RegExp(`id="${id[1]}"`),
    );
});
