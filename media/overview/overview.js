// Trace Overview webview: draws what the extension sends (pre-aggregated bins and PTEG cells) on
// canvases. No network, no per-record data; colours come from the theme's CSS variables.
// Messages in:  {type:'overview', data, seq}  {type:'pteg', data}  {type:'position', line}
//               {type:'status', text}
// Messages out: {type:'ready', bins}  {type:'range', fromLine, toLine, bins}  {type:'bins', bins}
//               {type:'click', ...}
//               {type:'drawn', what, seq, ms, pixels}
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  const timeline = $('timeline');
  const heat = $('heat');
  const tip = $('tip');
  const status = $('status');
  const legend = $('legend');

  const KIND_VARS = {
    success: ['--vscode-charts-green', '#388a34'],
    H_PARAMETER: ['--vscode-charts-red', '#e51400'],
    H_PTEG_FULL: ['--vscode-charts-orange', '#d18616'],
    H_NOT_FOUND: ['--vscode-charts-yellow', '#bf8803'],
    failure: ['--vscode-charts-purple', '#652d90'],
    unmodelled: ['--vscode-descriptionForeground', '#717171'],
    diverged: ['--vscode-editorError-foreground', '#e51400'],
    madeCacheable: ['--vscode-charts-blue', '#1a85ff'],
  };
  const LABEL = {
    success: 'H_SUCCESS',
    H_PARAMETER: 'H_PARAMETER',
    H_PTEG_FULL: 'H_PTEG_FULL',
    H_NOT_FOUND: 'H_NOT_FOUND',
    failure: 'other failures',
    unmodelled: 'not emulated',
    diverged: 'diverged',
    madeCacheable: 'made cacheable',
  };
  const STACKED = 6;
  const LAYOUT = { axis: 16, hist: 120, gap: 4, flagRow: 8, lane: 12, markerH: 8 };

  let data = null;
  let pteg = null;
  let position = 0;
  let seq = 0;
  let colors = {};
  let brush = null;
  /** The last click message sent (the end-to-end test reads it when a click seems lost). */
  let lastClick = null;
  let hoverBin = -1;

  function cssVar(name, fallback) {
    const v = getComputedStyle(document.body).getPropertyValue(name).trim();
    return v || fallback;
  }
  function readColors() {
    colors = {};
    for (const k in KIND_VARS) colors[k] = cssVar(KIND_VARS[k][0], KIND_VARS[k][1]);
    colors.fg = cssVar('--vscode-editor-foreground', '#333');
    colors.bg = cssVar('--vscode-editor-background', '#fff');
    colors.muted = cssVar('--vscode-descriptionForeground', '#717171');
    colors.grid = cssVar('--vscode-editorIndentGuide-background', cssVar('--vscode-widget-border', '#8884'));
    colors.cursor = cssVar('--vscode-editorCursor-foreground', colors.fg);
    colors.memslot = cssVar('--vscode-charts-blue', '#1a85ff');
    colors.vma = cssVar('--vscode-textLink-foreground', '#006ab1');
    colors.brush = cssVar('--vscode-editor-selectionBackground', '#add6ff');
    colors.heat = cssVar('--vscode-charts-blue', '#1a85ff');
    colors.full = cssVar('--vscode-charts-red', '#e51400');
    drawLegend();
  }

  function drawLegend() {
    legend.textContent = '';
    for (const k in KIND_VARS) {
      const item = document.createElement('span');
      item.className = 'item';
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = colors[k];
      item.append(sw, document.createTextNode(LABEL[k]));
      legend.append(item);
    }
    for (const [k, text] of [
      ['memslot', 'memslot change'],
      ['vma', 'vma change'],
    ]) {
      const item = document.createElement('span');
      item.className = 'item';
      const sw = document.createElement('span');
      sw.className = 'swatch line';
      sw.style.borderColor = colors[k];
      item.append(sw, document.createTextNode(text));
      legend.append(item);
    }
  }

  // ---- geometry -------------------------------------------------------------------------------
  function lanesTop() {
    return LAYOUT.axis + LAYOUT.hist + LAYOUT.gap + 2 * LAYOUT.flagRow + LAYOUT.gap;
  }
  function timelineHeight() {
    const lanes = data ? data.lanes.length : 0;
    return lanesTop() + lanes * LAYOUT.lane + 4;
  }
  function sizeCanvas(c, cssW, cssH) {
    const dpr = window.devicePixelRatio || 1;
    c.style.width = cssW + 'px';
    c.style.height = cssH + 'px';
    c.width = Math.max(1, Math.round(cssW * dpr));
    c.height = Math.max(1, Math.round(cssH * dpr));
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    return g;
  }
  function width() {
    return Math.max(200, timeline.parentElement.clientWidth - 2);
  }
  function xOfLine(line) {
    const w = width();
    return ((line - data.fromLine) / (data.toLine - data.fromLine + 1)) * w;
  }
  function binAtX(x) {
    if (!data) return -1;
    const line = data.fromLine + (x / width()) * (data.toLine - data.fromLine + 1);
    let lo = 0;
    let hi = data.bins - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (data.edges[mid] <= line) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  function lineAtX(x) {
    return Math.max(
      data.fromLine,
      Math.min(data.toLine, Math.floor(data.fromLine + (x / width()) * (data.toLine - data.fromLine + 1))),
    );
  }

  /** The stacked parts of bin b, bottom up: kind index and y from y0 (bottom) to y1 (top), CSS px. */
  function segments(b) {
    const K = data.kinds.length;
    const top = LAYOUT.axis;
    const H = LAYOUT.hist;
    let total = 0;
    for (let k = 0; k < STACKED; k++) total += data.counts[b * K + k];
    if (!total) return [];
    const full = (Math.sqrt(total) * H) / Math.sqrt(Math.max(1, data.maxStack));
    const hs = [];
    let sum = 0;
    for (let k = 0; k < STACKED; k++) {
      const c = data.counts[b * K + k];
      hs.push(c ? Math.max(2, (c / total) * full) : 0);
      sum += hs[k];
    }
    const squeeze = sum > H ? H / sum : 1;
    const out = [];
    let y = top + H;
    for (let k = 0; k < STACKED; k++) {
      if (!hs[k]) continue;
      const y1 = y - hs[k] * squeeze;
      out.push({ k, y0: y, y1 });
      y = y1;
    }
    return out;
  }

  // ---- timeline -------------------------------------------------------------------------------
  function drawTimeline() {
    if (!data) return;
    const t0 = performance.now();
    const w = width();
    const h = timelineHeight();
    const g = sizeCanvas(timeline, w, h);
    g.clearRect(0, 0, w, h);
    const K = data.kinds.length;
    const top = LAYOUT.axis;
    const H = LAYOUT.hist;
    // Axis: a few line numbers.
    g.fillStyle = colors.muted;
    g.font = '10px sans-serif';
    g.textBaseline = 'top';
    const ticks = Math.max(2, Math.floor(w / 120));
    for (let t = 0; t <= ticks; t++) {
      const line = Math.round(data.fromLine + (t / ticks) * (data.toLine - data.fromLine));
      const x = Math.min(w - 40, xOfLine(line));
      g.fillRect(xOfLine(line), top - 3, 1, 3);
      g.fillText(String(line), Math.max(0, x), 1);
    }
    g.fillStyle = colors.grid;
    g.fillRect(0, top + H, w, 1);
    // Stacked histogram, square-root scale so that rare failures stay visible (at least 2 px).
    for (let b = 0; b < data.bins; b++) {
      const segs = segments(b);
      if (!segs.length) continue;
      const x0 = xOfLine(data.edges[b]);
      const x1 = Math.max(x0 + 1, xOfLine(data.edges[b + 1]));
      for (const sg of segs) {
        g.fillStyle = colors[data.kinds[sg.k]];
        g.fillRect(x0, sg.y1, x1 - x0, sg.y0 - sg.y1);
      }
    }
    // Flag rows: divergences and made-cacheable.
    const fy = top + H + LAYOUT.gap;
    for (let r = 0; r < 2; r++) {
      const k = STACKED + r;
      const y = fy + r * LAYOUT.flagRow;
      g.fillStyle = colors.grid;
      g.fillRect(0, y + LAYOUT.flagRow - 1, w, 1);
      g.fillStyle = colors[data.kinds[k]];
      for (let b = 0; b < data.bins; b++) {
        if (!data.counts[b * K + k]) continue;
        const x0 = xOfLine(data.edges[b]);
        const x1 = Math.max(x0 + 2, xOfLine(data.edges[b + 1]));
        g.fillRect(x0, y + 1, x1 - x0, LAYOUT.flagRow - 3);
      }
    }
    // Lanes: a row per vcpu, shade by hcalls, failures as ticks.
    const ly = lanesTop();
    const LF = data.laneFields.length;
    let laneMax = 1;
    for (const lane of data.lanes) for (let b = 0; b < data.bins; b++) laneMax = Math.max(laneMax, lane.counts[b * LF]);
    data.lanes.forEach((lane, i) => {
      const y = ly + i * LAYOUT.lane;
      for (let b = 0; b < data.bins; b++) {
        const n = lane.counts[b * LF];
        if (!n) continue;
        const x0 = xOfLine(data.edges[b]);
        const x1 = Math.max(x0 + 1, xOfLine(data.edges[b + 1]));
        g.globalAlpha = 0.25 + 0.6 * Math.sqrt(n / laneMax);
        g.fillStyle = colors.success;
        g.fillRect(x0, y + 2, x1 - x0, LAYOUT.lane - 4);
        g.globalAlpha = 1;
        if (lane.counts[b * LF + 1]) {
          g.fillStyle = colors.H_PARAMETER;
          g.fillRect(x0, y + 2, Math.max(2, x1 - x0), LAYOUT.lane - 4);
        }
      }
    });
    // Memslot / vma markers: a line down the timeline and a triangle on the axis.
    for (const m of data.markers) {
      const x = Math.round(xOfLine(m.line)) + 0.5;
      g.strokeStyle = colors[m.kind];
      g.setLineDash(m.kind === 'vma' ? [2, 2] : [4, 2]);
      g.beginPath();
      g.moveTo(x, top);
      g.lineTo(x, h);
      g.stroke();
      g.setLineDash([]);
      g.fillStyle = colors[m.kind];
      g.beginPath();
      g.moveTo(x - 4, top);
      g.lineTo(x + 4, top);
      g.lineTo(x, top + LAYOUT.markerH);
      g.fill();
    }
    // Brush selection.
    if (brush) {
      g.fillStyle = colors.brush;
      g.globalAlpha = 0.5;
      g.fillRect(Math.min(brush.x0, brush.x1), top, Math.abs(brush.x1 - brush.x0), h - top);
      g.globalAlpha = 1;
    }
    // Hovered bin outline.
    if (hoverBin >= 0 && hoverBin < data.bins) {
      const x0 = xOfLine(data.edges[hoverBin]);
      const x1 = Math.max(x0 + 1, xOfLine(data.edges[hoverBin + 1]));
      g.strokeStyle = colors.fg;
      g.strokeRect(x0 - 0.5, top - 0.5, x1 - x0 + 1, H + 1);
    }
    // The current position.
    if (position >= data.fromLine && position <= data.toLine) {
      const x = Math.round(xOfLine(position + 0.5));
      g.fillStyle = colors.cursor;
      g.fillRect(x - 1, top, 2, h - top);
      g.beginPath();
      g.moveTo(x - 5, h);
      g.lineTo(x + 5, h);
      g.lineTo(x, h - 7);
      g.fill();
    }
    document.body.dataset.drawn = String((Number(document.body.dataset.drawn) || 0) + 1);
    const ms = performance.now() - t0;
    $('range').textContent =
      `lines ${data.fromLine}–${data.toLine} · ${data.bins} bins · ${data.hcalls.toLocaleString()} hcalls` +
      (data.complete ? '' : ` (read up to line ${data.lastLine})`);
    return ms;
  }

  // ---- heat map -------------------------------------------------------------------------------
  function mix(hex, alpha) {
    return { color: hex, alpha };
  }
  function drawHeat() {
    if (!pteg) return 0;
    const t0 = performance.now();
    const w = width();
    const cols = Math.max(16, Math.min(pteg.cells, Math.floor(w / 6)));
    const rows = Math.ceil(pteg.cells / cols);
    const cw = w / cols;
    const ch = Math.max(4, Math.min(12, cw));
    const g = sizeCanvas(heat, w, rows * ch + 2);
    g.clearRect(0, 0, w, rows * ch + 2);
    for (let c = 0; c < pteg.cells; c++) {
      const x = (c % cols) * cw;
      const y = Math.floor(c / cols) * ch;
      const m = pteg.max[c];
      g.globalAlpha = 1;
      g.fillStyle = colors.grid;
      g.fillRect(x, y, cw - 0.5, ch - 0.5);
      if (m > 0) {
        const s = mix(colors.heat, 0.3 + (0.7 * m) / 8);
        g.globalAlpha = s.alpha;
        g.fillStyle = s.color;
        g.fillRect(x, y, cw - 0.5, ch - 0.5);
      }
      if (pteg.pegFull[c] > 0) {
        g.globalAlpha = 1;
        g.strokeStyle = colors.full;
        g.lineWidth = 1.5;
        g.strokeRect(x + 0.75, y + 0.75, cw - 2, ch - 2);
      }
    }
    g.globalAlpha = 1;
    heat.dataset.cols = String(cols);
    heat.dataset.cw = String(cw);
    heat.dataset.ch = String(ch);
    $('heatInfo').textContent =
      `${pteg.groups.toLocaleString()} PTEGs, ${pteg.groupsPerCell} per cell · ${pteg.validHptes.toLocaleString()} valid HPTEs · ` +
      `shade: fullest PTEG of the cell (0–8) · red outline: H_PTEG_FULL so far`;
    return performance.now() - t0;
  }

  // ---- pixels (for tests): how many canvas pixels have each kind's colour -----------------------
  function parseColor(s) {
    const g = document.createElement('canvas').getContext('2d');
    g.fillStyle = '#000';
    g.fillStyle = s;
    const v = g.fillStyle;
    if (v.startsWith('#')) return [parseInt(v.slice(1, 3), 16), parseInt(v.slice(3, 5), 16), parseInt(v.slice(5, 7), 16)];
    const m = /rgba?\(([^)]+)\)/.exec(v);
    return m ? m[1].split(',').slice(0, 3).map((x) => Math.round(Number(x))) : [0, 0, 0];
  }
  function pixelCounts() {
    const g = timeline.getContext('2d');
    const img = g.getImageData(0, 0, timeline.width, timeline.height).data;
    const want = {};
    for (const k of ['success', 'H_PARAMETER', 'H_PTEG_FULL', 'H_NOT_FOUND']) want[k] = parseColor(colors[k]);
    const out = { nonBlank: 0 };
    for (const k in want) out[k] = 0;
    for (let i = 0; i < img.length; i += 4) {
      if (img[i + 3] === 0) continue;
      out.nonBlank++;
      for (const k in want) {
        const c = want[k];
        if (Math.abs(img[i] - c[0]) <= 2 && Math.abs(img[i + 1] - c[1]) <= 2 && Math.abs(img[i + 2] - c[2]) <= 2) {
          out[k]++;
          break;
        }
      }
    }
    return out;
  }

  function drawAll(reason, s) {
    const tl = drawTimeline() || 0;
    const hm = drawHeat() || 0;
    vscode.postMessage({ type: 'drawn', what: reason, seq: s, ms: tl + hm, pixels: reason === 'overview' ? pixelCounts() : undefined });
  }

  // ---- tooltip, click, brush -----------------------------------------------------------------------
  function showTip(ev, html) {
    tip.textContent = '';
    for (const [a, b] of html) {
      const row = document.createElement('div');
      const k = document.createElement('span');
      k.className = 'k';
      k.textContent = a;
      const v = document.createElement('span');
      v.textContent = b;
      row.append(k, v);
      tip.append(row);
    }
    tip.hidden = false;
    const r = document.body.getBoundingClientRect();
    tip.style.left = Math.min(ev.clientX + 12, r.width - tip.offsetWidth - 4) + 'px';
    tip.style.top = ev.clientY + 14 + window.scrollY + 'px';
  }

  function binTip(b) {
    const K = data.kinds.length;
    const rows = [['lines', `${data.edges[b]}–${data.edges[b + 1] - 1}`]];
    for (let k = 0; k < K; k++) {
      const n = data.counts[b * K + k];
      if (n) rows.push([LABEL[data.kinds[k]], n.toLocaleString()]);
    }
    const ms = data.markers.filter((m) => m.bin === b);
    for (const m of ms) rows.push([m.kind + (m.count > 1 ? ` ×${m.count}` : ''), m.text]);
    return rows;
  }

  /** The kind under a point of the histogram (the stacked segment), or null. */
  function kindAt(b, y) {
    const K = data.kinds.length;
    const top = LAYOUT.axis;
    const H = LAYOUT.hist;
    const fy = top + H + LAYOUT.gap;
    if (y >= fy && y < fy + 2 * LAYOUT.flagRow) {
      const k = STACKED + Math.floor((y - fy) / LAYOUT.flagRow);
      return data.counts[b * K + k] ? data.kinds[k] : null;
    }
    if (y >= lanesTop()) {
      // A lane: its failures, else nothing in particular.
      const lane = data.lanes[Math.floor((y - lanesTop()) / LAYOUT.lane)];
      return lane && lane.counts[b * data.laneFields.length + 1] ? 'anyFailure' : null;
    }
    for (const sg of segments(b)) if (y <= sg.y0 + 1 && y >= sg.y1 - 1) return data.kinds[sg.k];
    // Above the bar: the bin's most notable result.
    for (const k of [1, 2, 3, 4]) if (data.counts[b * K + k]) return data.kinds[k];
    return null;
  }

  function pos(ev) {
    const r = timeline.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  timeline.addEventListener('mousemove', (ev) => {
    if (!data) return;
    const p = pos(ev);
    if (brush) {
      brush.x1 = Math.max(0, Math.min(width(), p.x));
      drawTimeline();
      return;
    }
    const b = binAtX(p.x);
    if (b !== hoverBin) {
      hoverBin = b;
      drawTimeline();
    }
    showTip(ev, binTip(b));
  });
  timeline.addEventListener('mouseleave', () => {
    tip.hidden = true;
    hoverBin = -1;
    if (!brush) drawTimeline();
  });
  timeline.addEventListener('mousedown', (ev) => {
    if (!data || ev.button !== 0) return;
    const p = pos(ev);
    brush = { x0: p.x, x1: p.x, y: p.y };
  });
  window.addEventListener('mouseup', (ev) => {
    if (!brush || !data) return;
    const b = brush;
    brush = null;
    if (Math.abs(b.x1 - b.x0) >= 5) {
      // Brush: zoom to the selected lines.
      const from = lineAtX(Math.min(b.x0, b.x1));
      const to = lineAtX(Math.max(b.x0, b.x1));
      if (to > from) {
        vscode.postMessage({ type: 'range', fromLine: from, toLine: to, bins: requestBins() });
        return;
      }
    }
    drawTimeline();
    const p = pos(ev);
    const bin = binAtX(b.x0);
    lastClick = { type: 'click', fromLine: data.edges[bin], toLine: data.edges[bin + 1] - 1, kind: kindAt(bin, p.y) };
    vscode.postMessage(lastClick);
  });
  timeline.addEventListener('dblclick', () => vscode.postMessage({ type: 'range', bins: requestBins() }));
  $('reset').addEventListener('click', () => vscode.postMessage({ type: 'range', bins: requestBins() }));
  $('compare').addEventListener('click', () => vscode.postMessage({ type: 'compare' }));

  heat.addEventListener('mousemove', (ev) => {
    if (!pteg) return;
    const r = heat.getBoundingClientRect();
    const cols = Number(heat.dataset.cols);
    const c = Math.floor((ev.clientY - r.top) / Number(heat.dataset.ch)) * cols + Math.floor((ev.clientX - r.left) / Number(heat.dataset.cw));
    if (c < 0 || c >= pteg.cells) return;
    const g0 = c * pteg.groupsPerCell;
    const g1 = Math.min(pteg.groups, g0 + pteg.groupsPerCell) - 1;
    showTip(ev, [
      ['PTEGs', g0 === g1 ? `0x${g0.toString(16)}` : `0x${g0.toString(16)}–0x${g1.toString(16)}`],
      ['HPT index', `0x${(g0 * 8).toString(16)}…`],
      ['fullest PTEG', `${pteg.max[c]} of 8 valid`],
      ['valid entries', String(pteg.valid[c])],
      ['full PTEGs', String(pteg.full[c])],
      ['H_PTEG_FULL so far', String(pteg.pegFull[c])],
    ]);
  });
  heat.addEventListener('mouseleave', () => (tip.hidden = true));

  /** Bins for the canvas's width (one a CSS pixel); the last count asked for is kept. */
  let askedBins = 0;
  function requestBins() {
    askedBins = Math.min(4096, Math.max(64, Math.floor(width())));
    return askedBins;
  }

  // ---- messages ------------------------------------------------------------------------------------
  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'overview') {
      data = m.data;
      seq = m.seq;
      if (typeof m.position === 'number') position = m.position;
      status.textContent = '';
      drawAll('overview', m.seq);
    } else if (m.type === 'pteg') {
      pteg = m.data;
      if (typeof m.position === 'number') position = m.position;
      drawTimeline();
      const ms = drawHeat();
      vscode.postMessage({ type: 'drawn', what: 'pteg', seq, ms });
    } else if (m.type === 'position') {
      position = m.line;
      drawTimeline();
      vscode.postMessage({ type: 'drawn', what: 'position', seq, ms: 0 });
    } else if (m.type === 'status') {
      status.textContent = m.text || '';
    } else if (m.type === 'source') {
      $('source').textContent = m.text || '';
      $('compare').hidden = !m.session;
    }
  });

  const themeObserver = new MutationObserver(() => {
    readColors();
    if (data) drawAll('theme', seq);
  });
  themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class', 'style'] });
  let resizeTimer = 0;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (data) drawAll('resize', seq);
      // A new width wants a new number of bins (same range), asked for once the resizing stops.
      // Whenever the count changes: the data drawn may be another trace's (the panel follows the
      // active editor), so its line count cannot tell whether the new count would matter.
      const before = askedBins;
      if (requestBins() !== before) vscode.postMessage({ type: 'bins', bins: askedBins });
    }, 100);
  });
  // For the end-to-end test: what is drawn, and where a bin's part of a kind is (CSS px in the canvas).
  window.__hptraceOverview = {
    pixelCounts,
    colors: () => colors,
    data: () => data,
    asked: () => askedBins,
    pteg: () => pteg,
    position: () => position,
    lastClick: () => lastClick,
    segmentCenter(kind, bin) {
      const k = data.kinds.indexOf(kind);
      const sg = segments(bin).find((x) => x.k === k);
      if (!sg) return null;
      const x0 = xOfLine(data.edges[bin]);
      const x1 = Math.max(x0 + 1, xOfLine(data.edges[bin + 1]));
      return { x: (x0 + x1) / 2, y: (sg.y0 + sg.y1) / 2 };
    },
  };
  readColors();
  vscode.postMessage({ type: 'ready', bins: requestBins() });
})();
