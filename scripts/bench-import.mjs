// The import figures of `npm run bench` (issue 13), called from scripts/bench.mjs:
//   import_floor_s_1m   a Node process that reads a 1M-event raw ftrace capture and splits it into
//                       lines, nothing else (bench.mjs --floor; median of --runs)
//   import_s_1m         `hptrace import --hcalls CAPTURE -o OUT` (dist/cli.js), spawn to exit (median)
//   import_ratio_1m     import_s / import_floor_s (target: under 2)
//   import_rss_mb_1m    peak RSS of that import: the capture is streamed, so it stays flat
// The capture (kvm_hcall_enter/exit pairs on 8 VCPUs, interleaved, the five HPT hcalls and a few
// H_CEDE, some RESUME_HOST exits) is generated once and cached next to the bench traces.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { median } from './bench-lib.mjs';

const GEN_VERSION = 3;

/** Writes a raw ftrace capture of `events` kvm_hv events (enter + exit = 2 events a call). */
export function writeCapture(file, events) {
  const fd = fs.openSync(file, 'w');
  const chunk = [];
  let size = 0;
  const flush = () => {
    fs.writeSync(fd, chunk.join(''));
    chunk.length = 0;
    size = 0;
  };
  const push = (s) => {
    chunk.push(s);
    size += s.length;
    if (size > 1 << 20) flush();
  };
  push('# tracer: nop\n#\n#           TASK-PID     CPU#  ||||   TIMESTAMP  FUNCTION\n');
  const names = ['H_ENTER', 'H_ENTER', 'H_READ', 'H_PROTECT', 'H_REMOVE', 'H_BULK_REMOVE', 'H_CEDE'];
  const rcs = ['H_SUCCESS', 'H_SUCCESS', 'H_SUCCESS', 'H_NOT_FOUND', 'H_PARAMETER', 'H_PTEG_FULL'];
  let x = 12345;
  const rnd = () => {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
  let us = 1_000_000_000;
  const pending = [];
  const line = (v, ev, payload) => {
    us += 1 + (rnd() % 13);
    const ts = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
    push(` CPU ${v}/KVM-${20340 + v}  [${String(8 + v).padStart(3, '0')}] .... ${ts}: ${ev}: VCPU ${v}: ${payload}\n`);
  };
  for (let e = 0; e < events;) {
    const v = rnd() % 8;
    if (pending[v]) {
      const host = rnd() % 50 === 0;
      line(
        v,
        'kvm_hcall_exit',
        `ret=${host ? 'RESUME_HOST hcall_rc=H_TOO_HARD' : `RESUME_GUEST hcall_rc=${rcs[rnd() % rcs.length]}`}`,
      );
      pending[v] = false;
    } else {
      const n = names[rnd() % names.length];
      const idx = (rnd() % 0x100000).toString(16);
      const g =
        n === 'H_ENTER'
          ? `0x0,0x${idx},0x400000000${(rnd() % 0xfffff).toString(16).padStart(5, '0')}05,0x${((rnd() % 0xfff) + 1).toString(16)}0190`
          : `0x0,0x${idx},0x0,0x0`;
      line(v, 'kvm_hcall_enter', `hcall=${n} GPR4-7=${g}`);
      pending[v] = true;
    }
    e++;
  }
  flush();
  fs.closeSync(fd);
}

/**
 * Measures the import figures. ctx: { root, cache, runs, events (default 1M), label, note, figure,
 * timeNode(args) -> { secs, rss } }.
 */
export async function benchImport(ctx) {
  const events = ctx.events ?? 1_000_000;
  const label = ctx.label ?? (events % 1_000_000 === 0 ? `${events / 1_000_000}m` : `${events / 1000}k`);
  const capture = path.join(ctx.cache, `capture-${events}-v${GEN_VERSION}.ftrace.txt`);
  if (!fs.existsSync(capture)) {
    ctx.note(`generating a ${label}-event raw ftrace capture into ${capture} …`);
    const tmp = `${capture}.${process.pid}.tmp`;
    writeCapture(tmp, events);
    fs.renameSync(tmp, capture);
  }
  const out = path.join(ctx.cache, `imported-${process.pid}.hptrace`);
  const cli = path.join(ctx.root, 'dist', 'cli.js');
  const floor = [];
  const imp = [];
  const rss = [];
  const bytes = fs.statSync(capture).size;
  ctx.note(`import ${label}: floor and import, ${ctx.runs} run(s) each (${(bytes / 1048576).toFixed(0)} MiB) …`);
  try {
    for (let k = 0; k < ctx.runs; k++) {
      floor.push(ctx.timeNode([path.join(ctx.root, 'scripts', 'bench.mjs'), '--floor', capture]).secs);
      const r = ctx.timeNode([cli, 'import', '--hcalls', capture, '--set', 'host.cpu=power9', '-o', out]);
      imp.push(r.secs);
      rss.push(r.rss);
    }
  } finally {
    fs.rmSync(out, { force: true });
  }
  ctx.note(
    `import ${label}: floor runs ${floor.map((x) => x.toFixed(2)).join(' ')} s, import runs ${imp.map((x) => x.toFixed(2)).join(' ')} s`,
  );
  const f = median(floor);
  const i = median(imp);
  ctx.figure(`import_floor_s_${label}`, f.toFixed(3));
  ctx.figure(`import_s_${label}`, i.toFixed(3));
  ctx.figure(`import_ratio_${label}`, (i / f).toFixed(2));
  const peak = Math.max(...rss);
  ctx.figure(
    `import_rss_mb_${label}`,
    Number.isFinite(peak) ? peak.toFixed(0) : 'n/a (no maxRSS from the import process)',
  );
  return { floor: f, import: i, ratio: i / f, rss: peak };
}
