/**
 * The Trace Overview webview's HTML: a strict content security policy (nothing but the extension's
 * own script with a per-load nonce and its own stylesheet; no remote content, no inline code).
 * No vscode import, so a unit test can check it.
 */
import { randomBytes } from 'crypto';

export function newNonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

export function overviewHtml(opts: { cspSource: string; scriptUri: string; styleUri: string; nonce: string }): string {
  const { cspSource, scriptUri, styleUri, nonce } = opts;
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>Trace Overview</title>
</head>
<body>
<header>
  <strong>Trace Overview</strong>
  <span id="source"></span>
  <span id="status"></span>
</header>
<h2>Timeline</h2>
<div class="hint">Stacked results per bin of lines (square-root scale), then divergences and made-cacheable, then one lane per vcpu. Click a bin to go there (a coloured part: the first such result in it); drag to zoom, double-click to zoom out.</div>
<div id="legend"></div>
<div class="chart"><canvas id="timeline" aria-label="timeline of results along the trace"></canvas></div>
<div><span id="range"></span> <button id="reset" type="button">Whole trace</button> <button id="compare" type="button" hidden>Compare State With Line…</button></div>
<h2>HPT occupancy at the current position</h2>
<div class="chart"><canvas id="heat" aria-label="PTEG occupancy heat map"></canvas></div>
<div id="heatInfo"></div>
<div id="tip" hidden></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
