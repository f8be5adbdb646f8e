#!/usr/bin/env node
/**
 * Synthetic trace generator for the hptrace trace format (version 1).
 *
 *   node scripts/gen.mjs --hcalls N --seed S [--out FILE] [--annotate] [--stats]
 *   npm run gen -- --hcalls 1000000 --seed 7 > big.hptrace
 *
 * Writes a trace of a POWER7 guest (64K host pages, 16 MiB HPT = 2^20 HPTEs) with huge-page RAM,
 * ordinary RAM, a cache-inhibited VM_PFNMAP BAR, a write-through + cache-inhibited PFNMAP region and
 * an `other` mapping, then N hcalls (about 55% H_ENTER, 15% H_REMOVE, 15% H_READ, 8% H_PROTECT,
 * 7% H_BULK_REMOVE), and two rare host events part way through (a memory hotplug and the move of the
 * write-through region). The output depends only on N and the seed (a seeded mulberry32; no
 * Math.random, no clock).
 *
 * The generator keeps its own model of the kernel (slot_phys per memslot, the HPT's valid bits, the
 * stored first doubleword and the guest's view of the second one) following
 * the handlers' order of checks (docs/kernel-sources.md), so it knows the result of every hcall. About 30% of the hcalls
 * carry a recorded result; recorded registers are only those the model knows exactly (H_ENTER r4,
 * H_REMOVE r4, H_READ's v words and the guest view under H_R_XLATE). About 0.1% of the recorded
 * results are deliberately wrong, so a replay shows a few divergences; their number is in the
 * summary comment at the end (`--annotate` also marks each one with a trailing `# injected` comment).
 *
 * Output goes out in ~1 MiB chunks with fs.writeSync (stdout's fd 1, or --out FILE), so memory stays
 * bounded whatever N is. `--stats` prints a JSON summary on standard error.
 */
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

// ---- constants ------------------------------------------------------------------------------------

const HPT_ORDER = 24;
const NPTE = 2 ** (HPT_ORDER - 4); // 2^20 HPTEs
const NGROUPS = NPTE / 8;
const PAGE = 65536; // host page (64K)
const SZ_4K = 4096;
const SZ_64K = 65536;
const SZ_16M = 16777216;
const TWO32 = 4294967296;

// return codes
const H_SUCCESS = 0;
const H_PARAMETER = -4;
const H_PTEG_FULL = -6;
const H_NOT_FOUND = -7;
const H_RESOURCE = -16;
const RET_NAME = new Map([
  [H_SUCCESS, 'H_SUCCESS'],
  [H_PARAMETER, 'H_PARAMETER'],
  [H_PTEG_FULL, 'H_PTEG_FULL'],
  [H_NOT_FOUND, 'H_NOT_FOUND'],
  [H_RESOURCE, 'H_RESOURCE'],
]);

// hcall flags (hi = upper 32 bits, lo = lower 32 bits)
const H_EXACT_HI = 0x80; // 1 << 39
const H_R_XLATE_HI = 0x40; // 1 << 38
const H_READ_4_HI = 0x20; // 1 << 37
const H_AVPN_LO = 0x80000000; // 1 << 31
const H_ANDCOND_LO = 0x40000000; // 1 << 30

// HPTE bits
const V_VALID = 0x1;
const V_SECONDARY = 0x2;
const V_LARGE = 0x4;
const V_BOLTED = 0x10;
const R_PP0_HI = 0x80000000;
const R_KEY_HI_HI = 0x30000000;
const WIMG_W = 0x40;
const WIMG_I = 0x20;
const WIMG_M = 0x10;
const WIMG_G = 0x08;

// KVM_MEMSLOT_INVALID as include/linux/kvm.h had it in the seed commit's era (later kernels: 1 << 16).
const KVM_MEMSLOT_INVALID = 1 << 1;

// ---- small helpers --------------------------------------------------------------------------------

/** mulberry32: a tiny, fast, well-mixed 32-bit PRNG. Returns uint32. */
function makeRng(seed) {
  // splitmix32-style scramble of the seed so that nearby seeds give unrelated streams
  let a = seed >>> 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a = (a ^ (a >>> 16) ^ 0x9e3779b9) >>> 0;
  const u32 = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    u32,
    /** uniform float in [0, 1) */
    f: () => u32() / TWO32,
    /** uniform integer in [0, n), n <= 2^32 */
    int: (n) => Math.floor((u32() / TWO32) * n),
  };
}

const hx = (n) => '0x' + n.toString(16); // n: non-negative integer below 2^53
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const OPS = ['H_ENTER', 'H_REMOVE', 'H_READ', 'H_PROTECT', 'H_BULK_REMOVE'];
const OP_ENTER = 0;
const OP_REMOVE = 1;
const OP_READ = 2;
const OP_PROTECT = 3;
const OP_BULK = 4;
const log2 = (n) => Math.round(Math.log2(n));
const REG_NAMES = [' r4=', ' r5=', ' r6=', ' r7=', ' r8=', ' r9=', ' r10=', ' r11='];
const BULK_ARG_NAMES = [' w0=', ' w1=', ' w2=', ' w3=', ' w4=', ' w5=', ' w6=', ' w7='];

// ---- the generator --------------------------------------------------------------------------------

/**
 * Generates a trace. `sink(chunk)` receives the text as ASCII bytes in Buffers of about `chunkSize`
 * bytes (whole lines). The Buffer is reused after `sink` returns, so `sink` must consume it at once
 * (write it synchronously, or copy it). Returns a summary object.
 */
export function generate(
  { hcalls, seed, annotate = false, recordRate = 0.3, wrongRate = 0.001, chunkSize = 1 << 20 },
  sink,
) {
  const rng = makeRng(seed);
  const R = rng.f;
  const RI = rng.int;
  const U = rng.u32;

  // ---- output: ASCII bytes straight into a reusable buffer (no per-line strings, little GC) ----
  const buf = Buffer.allocUnsafe(chunkSize + 65536);
  let pos = 0;
  let bytes = 0;
  const flush = () => {
    if (pos > 0) {
      bytes += pos;
      sink(buf.subarray(0, pos));
      pos = 0;
    }
  };
  /** Appends an ASCII string. */
  const put = (str) => {
    for (let i = 0; i < str.length; i++) buf[pos++] = str.charCodeAt(i);
  };
  const endLine = () => {
    buf[pos++] = 10;
    if (pos >= chunkSize) flush();
  };
  const emit = (line) => {
    put(line);
    endLine();
  };
  /** Hex digits of a uint32 without leading zeros (at least one digit). */
  const putHex32 = (n) => {
    let sh = 28;
    while (sh > 0 && n >>> sh === 0) sh -= 4;
    for (; sh >= 0; sh -= 4) buf[pos++] = HEX[(n >>> sh) & 15];
  };
  /** 0x-prefixed hex of the 64-bit value hi:lo. */
  const putHex64 = (hi, lo) => {
    buf[pos++] = 48; // 0
    buf[pos++] = 120; // x
    if (hi !== 0) {
      putHex32(hi);
      for (let sh = 28; sh >= 0; sh -= 4) buf[pos++] = HEX[(lo >>> sh) & 15];
    } else putHex32(lo >>> 0);
  };
  /** 0x-prefixed hex of a non-negative integer below 2^53. */
  const putHexN = (n) => putHex64(Math.floor(n / TWO32), n >>> 0);

  // ---- host model: vmas and memslots ----
  /** @type {{start:number,end:number,type:string,pageSize:number,pfn:number,pgoff:number,cache:number}[]} */
  const vmas = [];
  /** memslots by id: {id, baseGfn, npages, ua, flags, physp: Uint8Array} ; physp entry = 0 or 0x80|io|order */
  const slots = new Array(32).fill(null);
  let activeSlots = []; // the non-null entries of slots, for lookups
  const refreshSlots = () => {
    activeSlots = slots.filter((x) => x !== null);
  };

  const CACHE_BITS = { none: 0, I: WIMG_I, W: WIMG_W, IW: WIMG_I | WIMG_W };
  function vma(start, end, type, opts = {}) {
    const v = { start, end, type, pageSize: PAGE, pfn: start / PAGE, pgoff: 0, cache: 0 };
    let text = `vma ${hx(start)}-${hx(end)} ${type}`;
    if (type === 'anon') {
      if (opts.page) {
        v.pageSize = opts.page;
        text += ` page=${opts.page >= SZ_16M ? opts.page / 1048576 + 'M' : opts.page / 1024 + 'K'}`;
      }
      if (opts.pfn !== undefined) {
        v.pfn = opts.pfn;
        text += ` pfn=${hx(opts.pfn)}`;
      }
    } else if (type === 'pfnmap') {
      v.pgoff = opts.pgoff;
      v.cache = CACHE_BITS[opts.cache ?? 'none'];
      text += ` pgoff=${hx(opts.pgoff)}`;
      if (opts.cache) text += ` cache=${opts.cache}`;
    }
    vmas.push(v);
    emit(text);
  }
  function munmap(start, end) {
    for (let i = vmas.length - 1; i >= 0; i--) if (vmas[i].start >= start && vmas[i].end <= end) vmas.splice(i, 1);
    emit(`munmap ${hx(start)}-${hx(end)}`);
  }
  function findVma(hva) {
    for (const v of vmas) if (v.start <= hva && hva < v.end) return v;
    return null;
  }
  /** form: 'gfn' writes gfn=/npages=, 'gpa' writes gpa=/size= */
  function memslot(id, gpa, size, ua, flags = 0, form = 'gpa') {
    slots[id] = { id, baseGfn: gpa / PAGE, npages: size / PAGE, ua, flags, physp: new Uint8Array(size / PAGE) };
    refreshSlots();
    let text = `memslot ${id} `;
    if (form === 'gfn') text += `gfn=${hx(gpa / PAGE)} npages=${hx(size / PAGE)}`;
    else text += `gpa=${hx(gpa)} size=${sizeStr(size)}`;
    text += ` hva=${hx(ua)}`;
    if (flags || form === 'gfn') text += ` flags=${hx(flags)}`;
    emit(text);
  }
  function memslotDelete(id) {
    slots[id] = null;
    refreshSlots();
    emit(`memslot ${id} delete`);
  }
  function sizeStr(n) {
    if (n % 1073741824 === 0) return n / 1073741824 + 'G';
    if (n % 1048576 === 0) return n / 1048576 + 'M';
    if (n % 1024 === 0) return n / 1024 + 'K';
    return String(n);
  }
  function findSlot(gfn) {
    for (let i = 0; i < activeSlots.length; i++) {
      const s = activeSlots[i];
      if (gfn >= s.baseGfn && gfn < s.baseGfn + s.npages) return s;
    }
    return null;
  }
  const slotAligned = (s, size) => {
    if (size <= PAGE) return true;
    const n = size / PAGE;
    return s.baseGfn % n === 0 && s.npages % n === 0;
  };

  // ---- HPT model ----
  const valid = new Uint8Array(NPTE);
  const written = new Uint8Array(NPTE); // ever held an entry (second doubleword no longer 0)
  const vHi = new Uint32Array(NPTE);
  const vLo = new Uint32Array(NPTE);
  const gHi = new Uint32Array(NPTE); // the guest's view of the second doubleword (reverse map)
  const gLo = new Uint32Array(NPTE);
  const live = new Int32Array(NPTE); // dense list of valid indices, for sampling
  const livePos = new Int32Array(NPTE);
  let nLive = 0;
  const recentRemoved = new Int32Array(256).fill(-1);
  let recentRemovedPos = 0;
  const recentRam64 = new Float64Array(64).fill(-1); // gfns of slot-1 pages recently mapped with 64K
  let recentRam64Pos = 0;

  function install(idx, ph, pl, rh, rl) {
    valid[idx] = 1;
    written[idx] = 1;
    vHi[idx] = ph;
    vLo[idx] = ((pl & ~0x60) | V_VALID) >>> 0;
    gHi[idx] = rh;
    gLo[idx] = rl;
    livePos[idx] = nLive;
    live[nLive++] = idx;
  }
  function invalidate(idx) {
    valid[idx] = 0;
    vHi[idx] = 0;
    vLo[idx] = 0;
    const p = livePos[idx];
    const last = live[--nLive];
    live[p] = last;
    livePos[last] = p;
    recentRemoved[recentRemovedPos++ & 255] = idx;
  }

  // ---- kernel model: the handlers (results only; see hpte-reference.md) ----

  /** kvmppc_get_guest_page with the seed: fills slot_phys; false = failure. */
  function getGuestPage(s, gfn, psize) {
    const off = gfn - s.baseGfn;
    if (s.physp[off] !== 0) return true;
    const hva = s.ua + off * PAGE;
    const v = findVma(hva);
    let pgsize = psize;
    let io = 0;
    if (v !== null && v.type === 'anon') {
      const sz = v.pageSize;
      if (sz > PAGE && sz > psize && slotAligned(s, sz) && s.ua % sz === 0) pgsize = sz;
      if (sz < psize) return false;
    } else {
      if (v === null || hva + psize > v.end || v.type !== 'pfnmap') return false;
      io = v.cache;
      const pfn = v.pgoff + (hva - v.start) / PAGE;
      if (psize > PAGE && pfn % (psize / PAGE) !== 0) return false;
    }
    const npages = Math.floor(pgsize / PAGE);
    if (npages >= 1) {
      const order = log2(npages);
      const first = off - (off % npages);
      for (let i = 0; i < npages; i++) if (s.physp[first + i] === 0) s.physp[first + i] = 0x80 | io | order;
    }
    return true;
  }

  let enterSlot = -1; // H_ENTER's r4 on success
  /** H_ENTER, real mode then (on H_TOO_HARD) virtual mode. Updates the model; returns the code. */
  function hEnter(fHi, idx, ph, pl, rh, rl) {
    let psize;
    if ((pl & V_LARGE) === 0) psize = SZ_4K;
    else if ((rl & 0xf000) === 0x1000)
      psize = SZ_64K; // POWER7: ARCH_206
    else if ((rl & 0xff000) === 0) psize = SZ_16M;
    else return H_PARAMETER;
    const gpa0 = (rh & 0x0fffffff) * TWO32 + ((rl & 0xfffff000) >>> 0);
    const gpa = gpa0 - (gpa0 % psize);
    const gfn = Math.floor(gpa / PAGE);
    const s = findSlot(gfn);
    if (s === null || (s.flags & KVM_MEMSLOT_INVALID) !== 0) return H_PARAMETER;
    if (!slotAligned(s, psize)) return H_PARAMETER;
    const off = gfn - s.baseGfn;
    let e = s.physp[off];
    if (e === 0) {
      // H_TOO_HARD: virtual mode
      if (!getGuestPage(s, gfn, psize)) return H_PARAMETER;
      e = s.physp[off];
      if (e === 0) return H_RESOURCE; // "this can't happen" (4K page over 64K host pages)
    }
    const order = e & 0x1f;
    const io = e & 0x60;
    if (PAGE * 2 ** order < psize) return H_PARAMETER;
    let wimg = rl & 0x78;
    if (wimg === (WIMG_W | WIMG_I | WIMG_M)) wimg = WIMG_M; // SAO on ARCH_206
    const ok = io !== 0 ? (wimg & (WIMG_W | WIMG_I)) === io : wimg === WIMG_M;
    if (!ok && io !== 0) return H_PARAMETER;
    if (idx >= NPTE) return H_PARAMETER;
    let slot;
    if ((fHi & H_EXACT_HI) === 0) {
      const base = idx - (idx % 8);
      slot = -1;
      for (let i = 0; i < 8; i++) {
        if (valid[base + i] === 0) {
          slot = base + i;
          break;
        }
      }
      if (slot < 0) return H_PTEG_FULL;
    } else {
      if (valid[idx] !== 0) return H_PTEG_FULL;
      slot = idx;
    }
    install(slot, ph, pl, rh, rl);
    enterSlot = slot;
    return H_SUCCESS;
  }

  let outHi = 0;
  let outLo = 0;
  function hRemove(fLo, idx, aHi, aLo) {
    if (idx >= NPTE) return H_PARAMETER;
    if (valid[idx] === 0) return H_NOT_FOUND;
    const h = vHi[idx];
    const l = vLo[idx] | 0x40; // HVLOCK held while testing
    if ((fLo & H_AVPN_LO) !== 0 && (h !== aHi || (l & ~0x7f) >>> 0 !== aLo)) return H_NOT_FOUND;
    if ((fLo & H_ANDCOND_LO) !== 0 && ((h & aHi) | (l & aLo)) !== 0) return H_NOT_FOUND;
    outHi = vHi[idx];
    outLo = vLo[idx];
    invalidate(idx);
    return H_SUCCESS;
  }
  function hProtect(fLo, idx, aHi, aLo) {
    if (idx >= NPTE) return H_PARAMETER;
    if (valid[idx] === 0) return H_NOT_FOUND;
    if ((fLo & H_AVPN_LO) !== 0 && (vHi[idx] !== aHi || (vLo[idx] & ~0x7f) >>> 0 !== aLo)) return H_NOT_FOUND;
    const bitsHi = ((fLo & 0x100) !== 0 ? R_PP0_HI : 0) | ((fLo & 0x3000) << 16);
    const bitsLo = fLo & 0xe07;
    gHi[idx] = ((gHi[idx] & ~(R_PP0_HI | R_KEY_HI_HI)) | bitsHi) >>> 0;
    gLo[idx] = ((gLo[idx] & ~0xe07) | bitsLo) >>> 0;
    return H_SUCCESS;
  }

  // ---- machine configuration and host mappings ----
  emit('hptrace 1');
  emit(`# Synthetic trace from scripts/gen.mjs (seed=${seed}, hcalls=${hcalls}).`);
  emit('# A POWER7 host with 64K pages and a 16 MiB hashed page table (2^20 HPTEs), one 4-vcpu guest.');
  emit('cpu power7');
  emit('host page=64K');
  emit(`hpt order=${HPT_ORDER}`);
  emit('');
  emit('# Guest RAM, 4 GiB backed by 16 MiB hugetlbfs pages.');
  vma(0x7ff000000000, 0x7ff100000000, 'anon', { page: SZ_16M, pfn: 0x100000 });
  memslot(0, 0x0, 0x100000000, 0x7ff000000000, 0, 'gfn');
  emit('# 1 GiB more RAM in ordinary 64K pages (dirty logging on).');
  vma(0x7fe000000000, 0x7fe040000000, 'anon', { pfn: 0x300000 });
  memslot(1, 0x100000000, 0x40000000, 0x7fe000000000, 0x1);
  emit("# An emulated device's 32 MiB BAR, a VM_PFNMAP mapping of device memory, cache-inhibited.");
  vma(0x3fff80000000, 0x3fff82000000, 'pfnmap', { pgoff: 0x3d000000, cache: 'I' });
  memslot(2, 0x200000000, 0x2000000, 0x3fff80000000);
  emit('# A 1 MiB write-through, cache-inhibited PFNMAP region.');
  vma(0x3fff90000000, 0x3fff90100000, 'pfnmap', { pgoff: 0x3d001000, cache: 'IW' });
  memslot(3, 0x210000000, 0x100000, 0x3fff90000000);
  emit('# A mapping that is neither pinnable nor VM_PFNMAP.');
  vma(0x3ffe00000000, 0x3ffe00100000, 'other');
  memslot(4, 0x300000000, 0x100000, 0x3ffe00000000);
  emit('');

  // roles for choosing addresses (slot ids)
  const hugeRam = [0];
  const RAM64 = 1;
  const BAR_I = 2;
  const BAR_W = 3;
  const OTHER = 4;

  // ---- statistics ----
  const retCount = new Float64Array(OPS.length * 17); // [op][-code]
  let recordedCount = 0;
  let injected = 0;
  const tally = (op, code) => {
    retCount[op * 17 - code]++;
  };

  // ---- time and vcpus ----
  let tUs = 3600 * 1e6 + RI(600e6); // microseconds of host uptime
  let vcpu = RI(4);
  let forceStamp = true; // the first hcall of each phase carries a time stamp
  /** Starts an hcall line: `hcall [@T] vcpu=N NAME`. */
  const startHcall = (name) => {
    put('hcall');
    if (R() < 0.02 || forceStamp) {
      forceStamp = false;
      put(' @');
      put(String(Math.floor(tUs / 1e6)));
      put('.');
      put(String(tUs % 1e6).padStart(6, '0'));
    }
    put(' vcpu=');
    buf[pos++] = 48 + vcpu;
    buf[pos++] = 32;
    put(name);
  };

  // ---- recorded results ----
  /** Whether this hcall carries a recorded result: 0 no, 1 the true one, 2 a deliberately wrong one. */
  function recordMode() {
    if (R() >= recordRate) return 0;
    recordedCount++;
    if (R() < wrongRate) {
      injected++;
      return 2;
    }
    return 1;
  }
  const putRet = (code) => {
    put(' -> ');
    put(RET_NAME.get(code));
  };
  /** A wrong recorded result for a true `code`; with hasAlt, possibly H_SUCCESS with r4 = altHi:altLo. */
  function putWrong(code, hasAlt, altHi, altLo) {
    if (code === H_SUCCESS && hasAlt && R() < 0.5) {
      put(' -> H_SUCCESS r4=');
      putHex64(altHi, altLo);
    } else if (code === H_SUCCESS) put(R() < 0.5 ? ' -> H_PARAMETER' : ' -> H_NOT_FOUND');
    else put(code === H_PARAMETER ? ' -> H_SUCCESS' : ' -> H_PARAMETER');
    if (annotate) put(' # injected divergence');
  }

  // ---- generating arguments ----
  let hotGroups = new Int32Array(16);
  const newHotGroups = () => {
    for (let i = 0; i < hotGroups.length; i++) hotGroups[i] = RI(NGROUPS);
  };
  newHotGroups();

  // the guest's pteh: segment size, AVPN, L, V and a few software bits
  let ph = 0;
  let pl = 0;
  function makePteh(large) {
    ph = ((R() < 0.85 ? 0x40000000 : 0) | (U() & 0x3fffffff)) >>> 0;
    pl = ((U() & 0xffffff80) | V_VALID | (large ? V_LARGE : 0)) >>> 0;
    if (R() < 0.04) pl |= V_BOLTED;
    if (R() < 0.01) pl |= R() < 0.5 ? 0x40 : 0x20; // software bits that H_ENTER clears
    pl >>>= 0;
  }
  // the guest's ptel: RPN (guest physical), LP encoding, R/C, WIMG, N, PP
  let rh = 0;
  let rl = 0;
  function makePtel(gpa, psize, wimg, io) {
    rh = Math.floor(gpa / TWO32);
    rl = gpa % TWO32;
    if (psize === SZ_64K) rl |= 0x1000;
    let low = wimg;
    if (io) {
      low |= 0x2 | (R() < 0.9 ? 0x4 : 0);
    } else {
      const p = R();
      low |= p < 0.7 ? 0x2 : p < 0.85 ? 0x3 : 0x0;
      if (R() < 0.1) low |= 0x4;
      const rc = R();
      low |= rc < 0.5 ? 0x180 : rc < 0.7 ? 0x100 : 0;
      if (R() < 0.03) low |= (1 + RI(7)) << 9; // storage key, low bits
      if (R() < 0.02) rh |= R_PP0_HI;
    }
    rl = (rl | low) >>> 0;
    rh >>>= 0;
  }
  /** A guest physical address of a page of `psize` in slot `id`. */
  function addrIn(id, psize) {
    const s = slots[id];
    const base = s.baseGfn * PAGE;
    const size = s.npages * PAGE;
    const n = Math.max(1, Math.floor(size / psize));
    return base + RI(n) * psize;
  }
  /** A page of ordinary RAM: slot, page size and address. */
  let gPsize = 0;
  let gGpa = 0;
  function ramPage(allow16M = true) {
    if (R() < 0.7) {
      const id = hugeRam[RI(hugeRam.length)];
      const p = R();
      gPsize = p < 0.55 ? SZ_64K : p < 0.75 && allow16M ? SZ_16M : p < 0.75 ? SZ_64K : SZ_4K;
      gGpa = addrIn(id, gPsize);
    } else {
      gPsize = R() < 0.75 ? SZ_64K : SZ_4K;
      if (gPsize === SZ_4K && R() < 0.8 && recentRam64[0] >= 0) {
        const gfn = recentRam64[RI(Math.min(recentRam64Pos, 64))];
        gGpa = gfn * PAGE + RI(16) * SZ_4K;
      } else {
        gGpa = addrIn(RAM64, gPsize);
      }
    }
  }
  const randomGroupBase = () => RI(NGROUPS) * 8;

  // pending hcalls the guest issues in reaction to a result (secondary group, eviction)
  const queue = [];

  function doEnter(fHi, idx, noteGfn) {
    const code = hEnter(fHi, idx, ph, pl, rh, rl);
    if (code === H_SUCCESS && noteGfn !== undefined) recentRam64[recentRam64Pos++ & 63] = noteGfn;
    startHcall('H_ENTER flags=');
    putHex64(fHi, 0);
    put(' pte_index=');
    putHexN(idx);
    put(' pteh=');
    putHex64(ph, pl);
    put(' ptel=');
    putHex64(rh, rl);
    const rec = recordMode();
    if (rec === 1) {
      putRet(code);
      if (code === H_SUCCESS) {
        put(' r4=');
        putHexN(enterSlot);
      }
    } else if (rec === 2) putWrong(code, code === H_SUCCESS, 0, enterSlot ^ (1 + RI(7)));
    endLine();
    tally(OP_ENTER, code);
    // a Linux guest whose primary group is full tries the secondary one, then evicts
    if (code === H_PTEG_FULL && (fHi & H_EXACT_HI) === 0 && queue.length === 0 && R() < 0.5) {
      const group = Math.floor(idx / 8);
      if ((pl & V_SECONDARY) === 0) {
        queue.push({
          kind: 'enter',
          idx: (NGROUPS - 1 - group) * 8,
          ph,
          pl: (pl | V_SECONDARY) >>> 0,
          rh,
          rl,
          primary: group * 8,
        });
      }
    }
    return code;
  }

  function opEnter() {
    const c = R();
    let fHi = 0;
    let idx = randomGroupBase();
    let noteGfn;
    if (c < 0.04) {
      // hot groups: a few groups take far more than their share and fill up
      idx = hotGroups[RI(hotGroups.length)] * 8;
      ramPage(false);
      makePteh(gPsize !== SZ_4K);
      makePtel(gGpa, gPsize, WIMG_M, false);
    } else if (c < 0.07) {
      // H_EXACT, mostly on a slot that is taken
      fHi = H_EXACT_HI;
      idx = nLive > 0 && R() < 0.7 ? live[RI(nLive)] : RI(NPTE);
      ramPage();
      makePteh(gPsize !== SZ_4K);
      makePtel(gGpa, gPsize, WIMG_M, false);
    } else if (c < 0.08) {
      // pte_index beyond the HPT
      idx = R() < 0.5 ? NPTE + RI(NPTE / 8) * 8 : NPTE * (1 + RI(4095)) + RI(NGROUPS) * 8;
      ramPage();
      makePteh(gPsize !== SZ_4K);
      makePtel(gGpa, gPsize, WIMG_M, false);
    } else if (c < 0.095) {
      // an invalid page size: L set with a bad LP field, or a "16M" page that is not 16M aligned
      makePteh(true);
      const gpa = addrIn(hugeRam[0], SZ_64K);
      makePtel(gpa, SZ_4K, WIMG_M, false);
      if (R() < 0.5 || (rl & 0xf0000) === 0) rl = ((rl & ~0xf000) | ((2 + RI(14)) << 12)) >>> 0;
    } else if (c < 0.115) {
      // an address in no memory slot
      const gpa = R() < 0.5 ? 0x800000000 + RI(0x10000) * SZ_64K : 0x240000000 + RI(0x400) * SZ_64K;
      const p = R() < 0.8 ? SZ_64K : SZ_4K;
      makePteh(p !== SZ_4K);
      makePtel(gpa, p, WIMG_M, false);
    } else if (c < 0.125) {
      // the `other` mapping
      const p = R() < 0.8 ? SZ_64K : SZ_4K;
      makePteh(p !== SZ_4K);
      makePtel(addrIn(OTHER, p), p, R() < 0.5 ? WIMG_I | WIMG_G : WIMG_M, true);
    } else if (c < 0.17) {
      // RAM mapped non-cacheable by the guest: accepted and made cacheable
      ramPage();
      makePteh(gPsize !== SZ_4K);
      const w = [
        WIMG_I | WIMG_G,
        WIMG_I | WIMG_G,
        WIMG_W | WIMG_I | WIMG_G,
        WIMG_I,
        WIMG_I | WIMG_M | WIMG_G,
        WIMG_M | WIMG_G,
        0,
      ][RI(7)];
      makePtel(gGpa, gPsize, w, false);
    } else if (c < 0.18) {
      // RAM mapped SAO (W|I|M): counts as M on POWER7
      ramPage();
      makePteh(gPsize !== SZ_4K);
      makePtel(gGpa, gPsize, WIMG_W | WIMG_I | WIMG_M, false);
    } else if (c < 0.26) {
      // the cache-inhibited BAR
      const p0 = R();
      const p = p0 < 0.7 ? SZ_64K : p0 < 0.8 ? SZ_16M : SZ_4K;
      const w0 = R();
      const w =
        w0 < 0.8
          ? WIMG_I | WIMG_G
          : w0 < 0.85
            ? WIMG_I
            : w0 < 0.9
              ? WIMG_I | WIMG_M | WIMG_G
              : w0 < 0.96
                ? WIMG_W | WIMG_I
                : WIMG_M;
      makePteh(p !== SZ_4K);
      makePtel(addrIn(BAR_I, p), p, w, true);
    } else if (c < 0.29) {
      // the write-through region (cache-inhibited only, after it was moved)
      const s = slots[BAR_W];
      const v = s !== null ? findVma(s.ua) : null;
      const iw = v !== null && v.cache === (WIMG_I | WIMG_W);
      const p = R() < 0.85 ? SZ_64K : SZ_4K;
      const w0 = R();
      let w;
      if (iw)
        w =
          w0 < 0.8
            ? WIMG_W | WIMG_I | WIMG_G
            : w0 < 0.85
              ? WIMG_W | WIMG_I
              : w0 < 0.95
                ? WIMG_I | WIMG_G
                : WIMG_W | WIMG_I | WIMG_M;
      else w = w0 < 0.85 ? WIMG_I | WIMG_G : WIMG_W | WIMG_I | WIMG_G;
      makePteh(p !== SZ_4K);
      makePtel(s !== null ? addrIn(BAR_W, p) : 0x210000000, p, w, true);
    } else if (c < 0.3) {
      // 16M pages where they cannot be: ordinary 64K RAM, or the 1 MiB write-through slot
      makePteh(true);
      if (R() < 0.7) makePtel(addrIn(RAM64, SZ_16M), SZ_16M, WIMG_M, false);
      else
        makePtel(
          slots[BAR_W] !== null ? slots[BAR_W].baseGfn * PAGE : 0x210000000,
          SZ_16M,
          WIMG_W | WIMG_I | WIMG_G,
          true,
        );
    } else {
      // the common case: a cacheable page of RAM
      ramPage();
      makePteh(gPsize !== SZ_4K);
      makePtel(gGpa, gPsize, WIMG_M, false);
      if (gPsize === SZ_64K && gGpa >= 0x100000000 && gGpa < 0x140000000) noteGfn = gGpa / PAGE;
    }
    doEnter(fHi, idx, noteGfn);
  }

  /** Picks a target for REMOVE/PROTECT: a live entry (mostly), a dead one, or an index out of range. */
  let tIdx = 0;
  function pickTarget(pLive, pOut) {
    const c = R();
    if (c < pLive && nLive > 0) {
      // now and then an entry of a hot group
      if (R() < 0.2) {
        const base = hotGroups[RI(hotGroups.length)] * 8;
        const i = base + RI(8);
        if (valid[i]) {
          tIdx = i;
          return;
        }
      }
      tIdx = live[RI(nLive)];
    } else if (c < 1 - pOut) {
      const r = recentRemoved[RI(256)];
      tIdx = r >= 0 && R() < 0.6 ? r : RI(NPTE);
    } else {
      tIdx = NPTE + RI(0x100000);
    }
  }
  /** AVPN for the target: right (pteh & ~0x7f) or wrong. */
  let aHi = 0;
  let aLo = 0;
  function targetAvpn(right) {
    if (right && tIdx < NPTE && (written[tIdx] || valid[tIdx])) {
      aHi = vHi[tIdx];
      aLo = (vLo[tIdx] & ~0x7f) >>> 0;
      if (!valid[tIdx]) {
        aHi = ((R() < 0.85 ? 0x40000000 : 0) | (U() & 0x3fffffff)) >>> 0;
        aLo = (U() & 0xffffff80) >>> 0;
      }
    } else {
      aHi = ((R() < 0.85 ? 0x40000000 : 0) | (U() & 0x3fffffff)) >>> 0;
      aLo = (U() & 0xffffff80) >>> 0;
      if (tIdx < NPTE && valid[tIdx] && R() < 0.5) {
        // a stale AVPN: the same entry with a neighbouring page number
        aHi = vHi[tIdx];
        aLo = ((vLo[tIdx] & ~0x7f) ^ (0x80 << RI(8))) >>> 0;
      }
    }
  }

  function emitRemove(fLo, idx) {
    const code = hRemove(fLo, idx, aHi, aLo);
    startHcall('H_REMOVE flags=');
    putHex64(0, fLo);
    put(' pte_index=');
    putHexN(idx);
    put(' avpn=');
    putHex64(aHi, aLo);
    const rec = recordMode();
    if (rec === 1) {
      putRet(code);
      if (code === H_SUCCESS) {
        put(' r4=');
        putHex64(outHi, outLo);
      }
    } else if (rec === 2) putWrong(code, code === H_SUCCESS, outHi, (outLo ^ 0x80) >>> 0);
    endLine();
    tally(OP_REMOVE, code);
    return code;
  }

  function opRemove() {
    pickTarget(0.88, 0.02);
    const m = R();
    let fLo;
    if (m < 0.6) {
      fLo = H_AVPN_LO;
      targetAvpn(R() < 0.9);
    } else if (m < 0.85) {
      fLo = 0;
      aHi = 0;
      aLo = 0;
    } else {
      // H_ANDCOND as Linux uses it (avpn = BOLTED: remove only if not bolted), or other masks
      fLo = H_ANDCOND_LO;
      aHi = 0;
      const k = R();
      aLo = k < 0.7 ? V_BOLTED : k < 0.8 ? V_SECONDARY : k < 0.9 ? V_LARGE : 0x40;
    }
    emitRemove(fLo, tIdx);
  }

  function opRead() {
    const c = R();
    let fHi = 0;
    const f = R();
    if (f < 0.35) fHi = H_R_XLATE_HI;
    else if (f < 0.5) fHi = H_READ_4_HI;
    else if (f < 0.6) fHi = H_READ_4_HI | H_R_XLATE_HI;
    let idx;
    if (c < 0.7 && nLive > 0) idx = live[RI(nLive)];
    else if (c < 0.98) idx = R() < 0.5 && recentRemoved[0] >= 0 ? Math.max(0, recentRemoved[RI(256)]) : RI(NPTE);
    else idx = NPTE + RI(0x100000);
    if ((fHi & H_READ_4_HI) !== 0 && R() < 0.5) idx = idx - (idx % 4) + RI(4); // any index in the four
    const code = idx >= NPTE ? H_PARAMETER : H_SUCCESS;
    startHcall('H_READ flags=');
    putHex64(fHi, 0);
    put(' pte_index=');
    putHexN(idx);
    const rec = recordMode();
    if (rec === 1) {
      putRet(code);
      if (code === H_SUCCESS) {
        // v words always; r words only where the model knows them exactly (the guest view under
        // H_R_XLATE, or a slot that never held an entry); the host's r of an entry is left out
        const first = (fHi & H_READ_4_HI) !== 0 ? idx - (idx % 4) : idx;
        const n = (fHi & H_READ_4_HI) !== 0 ? 4 : 1;
        for (let k = 0; k < n; k++) {
          const i = first + k;
          put(REG_NAMES[2 * k]);
          putHex64(vHi[i], vLo[i]);
          if (valid[i] && (fHi & H_R_XLATE_HI) !== 0) {
            put(REG_NAMES[2 * k + 1]);
            putHex64(gHi[i], gLo[i]);
          } else if (!valid[i] && !written[i]) {
            put(REG_NAMES[2 * k + 1]);
            put('0x0');
          }
        }
      }
    } else if (rec === 2) {
      const i = idx < NPTE ? ((fHi & H_READ_4_HI) !== 0 ? idx - (idx % 4) : idx) : 0;
      putWrong(code, code === H_SUCCESS, vHi[i], (vLo[i] ^ 0x100) >>> 0);
    }
    endLine();
    tally(OP_READ, code);
  }

  function opProtect() {
    pickTarget(0.9, 0.01);
    let fLo = 0;
    const useAvpn = R() < 0.85;
    if (useAvpn) {
      fLo = H_AVPN_LO;
      targetAvpn(R() < 0.92);
    } else {
      aHi = 0;
      aLo = 0;
    }
    const p = R();
    fLo |= p < 0.5 ? 0x3 : p < 0.7 ? 0x2 : p < 0.8 ? 0x1 : 0x0;
    if (R() < 0.3) fLo |= 0x4; // N
    if (R() < 0.03) fLo |= 0x100; // PP0
    if (R() < 0.03) fLo |= (1 + RI(3)) << 12; // KEY_HI
    if (R() < 0.05) fLo |= (1 + RI(7)) << 9; // KEY_LO
    fLo >>>= 0;
    const code = hProtect(fLo, tIdx, aHi, aLo);
    startHcall('H_PROTECT flags=');
    putHex64(0, fLo);
    put(' pte_index=');
    putHexN(tIdx);
    put(' avpn=');
    putHex64(aHi, aLo);
    const rec = recordMode();
    if (rec === 1) putRet(code);
    else if (rec === 2) putWrong(code, false, 0, 0);
    endLine();
    tally(OP_PROTECT, code);
  }

  const wHi = new Uint32Array(8);
  const wLo = new Uint32Array(8);
  const usedIdx = new Float64Array(4);
  let nUsed = 0;
  const used = {
    has: (x) => {
      for (let k = 0; k < nUsed; k++) if (usedIdx[k] === x) return true;
      return false;
    },
    add: (x) => {
      usedIdx[nUsed++] = x;
    },
  };
  function opBulk() {
    // up to four (request, avpn) pairs as Linux's flush_hash_range builds them
    wHi.fill(0);
    wLo.fill(0);
    nUsed = 0;
    const nReq = R() < 0.85 ? 4 : 1 + RI(3);
    const paramErrAt = R() < 0.02 ? RI(nReq) : -1;
    let code = H_SUCCESS;
    let done = false;
    for (let k = 0; k < nReq; k++) {
      let mode;
      const m = R();
      mode = m < 0.7 ? 2 : m < 0.9 ? 0 : 1;
      let type = 1;
      if (k === paramErrAt) {
        const e = RI(3);
        if (e === 0) type = R() < 0.5 ? 0 : 2;
        else if (e === 1) mode = 3;
      }
      pickTarget(0.85, k === paramErrAt && type === 1 && mode !== 3 ? 1 : 0);
      if (k === paramErrAt && type === 1 && mode !== 3) {
        tIdx = NPTE + RI(0x100000);
      } else {
        for (let tries = 0; used.has(tIdx) && tries < 8; tries++) pickTarget(0.85, 0);
        if (used.has(tIdx)) {
          do tIdx = RI(NPTE);
          while (used.has(tIdx));
        }
      }
      used.add(tIdx);
      if (mode === 2) targetAvpn(R() < 0.9);
      else if (mode === 1) {
        aHi = 0;
        const q = R();
        aLo = q < 0.6 ? V_BOLTED : q < 0.8 ? V_SECONDARY : q < 0.9 ? 0x40 : 0;
      } else {
        aHi = 0;
        aLo = 0;
      }
      wHi[2 * k] = ((((type << 6) | mode) << 24) | Math.floor(tIdx / TWO32)) >>> 0;
      wLo[2 * k] = tIdx % TWO32;
      wHi[2 * k + 1] = aHi;
      wLo[2 * k + 1] = aLo;
      // the model, in order (a parameter error stops the list; earlier removals stand)
      if (done) continue;
      if (type !== 1 || mode === 3 || tIdx >= NPTE) {
        code = H_PARAMETER;
        done = true;
        continue;
      }
      if (valid[tIdx]) {
        const h = vHi[tIdx];
        const l = vLo[tIdx] | 0x40;
        let found = false;
        if (mode === 0) found = true;
        else if (mode === 1) found = ((h & aHi) | (l & aLo)) === 0;
        else found = h === aHi && (l & ~0x7f) >>> 0 === aLo;
        if (found) invalidate(tIdx);
      }
    }
    if (nReq < 4) {
      wHi[2 * nReq] = 0xc0000000; // end of list
      wLo[2 * nReq] = 0;
    }
    startHcall('H_BULK_REMOVE');
    for (let k = 0; k < 8; k++) {
      put(BULK_ARG_NAMES[k]);
      putHex64(wHi[k], wLo[k]);
    }
    const rec = recordMode();
    if (rec === 1) putRet(code);
    else if (rec === 2) putWrong(code, false, 0, 0);
    endLine();
    tally(OP_BULK, code);
  }

  function runQueued() {
    const q = queue.shift();
    if (q.kind === 'enter') {
      ph = q.ph;
      pl = q.pl;
      rh = q.rh;
      rl = q.rl;
      const code = doEnter(0, q.idx);
      if (code === H_PTEG_FULL && q.primary !== undefined && R() < 0.6) {
        // both groups full: evict a random non-bolted entry of the primary group, then retry there
        queue.push({ kind: 'evict', idx: q.primary + RI(8) });
        queue.push({ kind: 'enter', idx: q.primary, ph: q.ph, pl: (q.pl & ~V_SECONDARY) >>> 0, rh: q.rh, rl: q.rl });
      }
    } else {
      aHi = 0;
      aLo = V_BOLTED;
      emitRemove(H_ANDCOND_LO, q.idx);
    }
  }

  // ---- host events part way through ----
  const hotplugAt = hcalls >= 20 ? Math.floor(hcalls * 0.3) : -1;
  const moveAt = hcalls >= 20 ? Math.floor(hcalls * 0.6) : -1;
  const moveWindow = Math.min(20, Math.max(0, hcalls - moveAt - 1));
  function hotplug() {
    emit('# --- memory hotplug: 256 MiB more RAM in 16 MiB pages ---');
    vma(0x7fd000000000, 0x7fd010000000, 'anon', { page: SZ_16M, pfn: 0x200000 });
    memslot(5, 0x140000000, 0x10000000, 0x7fd000000000);
    hugeRam.push(5);
  }
  function moveStart() {
    emit('# --- the write-through region is being moved: KVM marks its slot invalid first ---');
    memslot(3, 0x210000000, 0x100000, 0x3fff90000000, KVM_MEMSLOT_INVALID);
  }
  function moveEnd() {
    emit('# --- ... and it comes back elsewhere, 2 MiB, now cache-inhibited only ---');
    memslotDelete(3);
    munmap(0x3fff90000000, 0x3fff90100000);
    vma(0x3fff90000000, 0x3fff90200000, 'pfnmap', { pgoff: 0x3d002000, cache: 'I' });
    memslot(3, 0x220000000, 0x200000, 0x3fff90000000, 0, 'gfn');
  }

  // ---- the hcalls ----
  emit('# --- phase 0 ---');
  for (let i = 0; i < hcalls; i++) {
    if (i % 100000 === 0 && i > 0) {
      emit(`# --- phase ${i / 100000} ---`);
      newHotGroups();
      forceStamp = true;
    }
    if (i === hotplugAt) hotplug();
    if (i === moveAt) moveStart();
    if (moveAt >= 0 && i === moveAt + moveWindow) moveEnd();
    // time passes: a few microseconds per hcall, now and then a longer pause
    tUs += 1 + RI(24) + (R() < 0.001 ? RI(20000) : 0);
    if (R() < 0.08) vcpu = RI(4);
    if (queue.length > 0) {
      runQueued();
      continue;
    }
    if (moveAt >= 0 && i >= moveAt && i < moveAt + moveWindow && R() < 0.3) {
      // during the move the guest still touches the region: H_PARAMETER
      makePteh(true);
      makePtel(0x210000000 + RI(16) * SZ_64K, SZ_64K, WIMG_W | WIMG_I | WIMG_G, true);
      doEnter(0, randomGroupBase());
      continue;
    }
    const c = R();
    if (c < 0.55) opEnter();
    else if (c < 0.7) opRemove();
    else if (c < 0.85) opRead();
    else if (c < 0.93) opProtect();
    else opBulk();
  }

  // ---- summary ----
  const count = {};
  const rets = {};
  for (let op = 0; op < OPS.length; op++) {
    count[OPS[op]] = 0;
    for (let c = 0; c <= 16; c++) {
      const n = retCount[op * 17 + c];
      if (n === 0) continue;
      count[OPS[op]] += n;
      rets[`${OPS[op]} ${RET_NAME.get(-c)}`] = n;
    }
  }
  emit('');
  emit(
    `# summary: ${Object.entries(count)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  emit(`# summary: recorded results=${recordedCount} injected divergences=${injected} live HPTEs at the end=${nLive}`);
  flush();
  return { hcalls, seed, bytes, count, rets, recorded: recordedCount, injected, liveAtEnd: nLive };
}

// ---- CLI ------------------------------------------------------------------------------------------

function usage(msg) {
  if (msg) process.stderr.write(`gen.mjs: ${msg}\n`);
  process.stderr.write(
    'usage: node scripts/gen.mjs --hcalls N --seed S [--out FILE] [--annotate] [--stats]\n' +
      '                            [--record-rate F (0.3)] [--wrong-rate F (0.001)]\n' +
      '  --annotate     mark each deliberately wrong recorded result with "# injected divergence"\n' +
      '  --stats        print a JSON summary (counts, results, speed, peak RSS) on standard error\n' +
      '  --record-rate  fraction of hcalls that carry a recorded result\n' +
      '  --wrong-rate   fraction of recorded results that are deliberately wrong\n',
  );
  process.exit(2);
}

function parseCount(s, what) {
  if (s === undefined) usage(`${what} needs a value`);
  const t = String(s).trim();
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(t) ? Number(t) : /^\d+(\.\d+)?e\d+$/i.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) usage(`${what}: expected a non-negative integer, found ${JSON.stringify(s)}`);
  return n;
}

function parseRate(s, what) {
  const n = Number(s);
  if (s === undefined || s === '' || !(n >= 0 && n <= 1))
    usage(`${what}: expected a fraction between 0 and 1, found ${JSON.stringify(s)}`);
  return n;
}

/** Writes all of buf to fd, waiting out EAGAIN (a non-blocking pipe) and stopping quietly on EPIPE. */
let filePos = -1; // >= 0: write at explicit offsets (stdout was rewound past npm's banner)
function writeAll(fd, b) {
  let off = 0;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (off < b.length) {
    try {
      const n = fs.writeSync(fd, b, off, b.length - off, filePos >= 0 ? filePos : null);
      off += n;
      if (filePos >= 0) filePos += n;
    } catch (e) {
      if (e.code === 'EAGAIN') {
        Atomics.wait(nap, 0, 0, 2);
        continue;
      }
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    }
  }
}

function main(argv) {
  let hcalls;
  let seed;
  let out;
  let annotate = false;
  let stats = false;
  let recordRate = 0.3;
  let wrongRate = 0.001;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const val = () => (v !== undefined ? v : argv[++i]);
    switch (a) {
      case '--hcalls':
        hcalls = parseCount(val(), '--hcalls');
        break;
      case '--seed':
        seed = parseCount(val(), '--seed');
        break;
      case '--out':
      case '-o':
        out = val();
        if (!out) usage('--out needs a file name');
        break;
      case '--annotate':
        annotate = true;
        break;
      case '--stats':
        stats = true;
        break;
      case '--record-rate':
        recordRate = parseRate(val(), '--record-rate');
        break;
      case '--wrong-rate':
        wrongRate = parseRate(val(), '--wrong-rate');
        break;
      case '-h':
      case '--help':
        usage();
        break;
      default:
        usage(`unknown argument ${JSON.stringify(argv[i])}`);
    }
  }
  if (hcalls === undefined) usage('--hcalls N is required');
  if (seed === undefined) usage('--seed S is required');
  const fd = out ? fs.openSync(out, 'w') : 1;
  if (!out) dropNpmBanner();
  const t0 = process.hrtime.bigint();
  const summary = generate({ hcalls, seed: seed % TWO32, annotate, recordRate, wrongRate }, (chunk) =>
    writeAll(fd, chunk),
  );
  if (out) fs.closeSync(fd);
  if (stats) {
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const extra = {
      seconds: +secs.toFixed(3),
      hcallsPerSecond: Math.round(hcalls / secs),
      mbPerSecond: +(summary.bytes / 1048576 / secs).toFixed(1),
      peakRssMB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    };
    process.stderr.write(JSON.stringify({ ...summary, ...extra }, null, 1) + '\n');
  }
}

/**
 * `npm run gen -- … > file.hptrace` (the documented form) lets npm print its "> hptrace@… gen"
 * banner into the same file before this script starts, which would make the trace start with a
 * line that is not the header. When stdout is a regular file holding only that banner, start over.
 */
function dropNpmBanner() {
  let st;
  try {
    st = fs.fstatSync(1);
  } catch {
    return;
  }
  if (!st.isFile() || st.size === 0 || st.size > 4096) return;
  let head;
  try {
    head = fs.readFileSync('/proc/self/fd/1', 'utf8'); // fd 1 itself is write-only
  } catch {
    return;
  }
  if (/^\n?(> [^\n]*\n)+\n?$/.test(head)) {
    fs.ftruncateSync(1, 0);
    filePos = 0;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2));
}
