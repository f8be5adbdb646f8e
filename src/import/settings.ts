/** The `--set KEY=VALUE` values an import needs and no capture holds. */

export interface VmaSettings {
  cache?: 'none' | 'I' | 'W' | 'IW';
  pgoff?: string;
  pfn?: string;
}

export interface ImportSettings {
  /** Guest CPU model. */
  cpu?: 'power7' | 'ppc970';
  hostPage?: 4096 | 65536;
  hptOrder?: number;
  /** The host that took the capture: power7 (POWER7/8, real-mode hcalls) or power9 (P9 path). */
  hostCpu?: 'power7' | 'power9';
  /** Per mapping, by its start address as canonical 0x… hex. */
  vma: Map<string, VmaSettings>;
}

/** A bad --set: the CLI reports it as a usage error (exit 2). */
export class SettingError extends Error {}

export const SET_KEYS =
  'cpu=power7|ppc970, host.page=64K|4K, hpt.order=N, host.cpu=power7|power9, vma.0xSTART.cache=none|I|W|IW, vma.0xSTART.pgoff=0xN, vma.0xSTART.pfn=0xN';

const HEX = /^0x[0-9a-fA-F]{1,16}$/;

export function parseSettings(items: readonly string[]): ImportSettings {
  const s: ImportSettings = { vma: new Map() };
  const seen = new Set<string>();
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new SettingError(`--set ${item}: expected KEY=VALUE (keys: ${SET_KEYS})`);
    const key = item.slice(0, eq);
    const val = item.slice(eq + 1);
    const bad = (want: string): never => {
      throw new SettingError(`--set ${key}: expected ${want}, found ${JSON.stringify(val)}`);
    };
    let canon = key;
    const vm = /^vma\.(0x[0-9a-fA-F]+)\.(cache|pgoff|pfn)$/.exec(key);
    if (vm) canon = `vma.0x${BigInt(vm[1]).toString(16)}.${vm[2]}`;
    if (seen.has(canon)) throw new SettingError(`--set ${key} is given twice`);
    seen.add(canon);
    if (key === 'cpu') s.cpu = val === 'power7' || val === 'ppc970' ? val : bad('power7 or ppc970');
    else if (key === 'host.page') s.hostPage = val === '64K' ? 65536 : val === '4K' ? 4096 : bad('64K or 4K');
    else if (key === 'hpt.order') {
      const n = /^\d+$/.test(val) ? Number(val) : NaN;
      s.hptOrder = n >= 18 && n <= 46 ? n : bad('a number 18..46 (log2 of the HPT size in bytes)');
    } else if (key === 'host.cpu') s.hostCpu = val === 'power7' || val === 'power9' ? val : bad('power7 or power9');
    else if (vm) {
      const start = '0x' + BigInt(vm[1]).toString(16);
      const v = s.vma.get(start) ?? {};
      if (vm[2] === 'cache')
        v.cache = val === 'none' || val === 'I' || val === 'W' || val === 'IW' ? val : bad('none, I, W or IW');
      else if (!HEX.test(val)) bad('a 0x-prefixed hex number');
      else if (vm[2] === 'pgoff') v.pgoff = '0x' + BigInt(val).toString(16);
      else v.pfn = '0x' + BigInt(val).toString(16);
      s.vma.set(start, v);
    } else throw new SettingError(`--set: unknown key ${JSON.stringify(key)}; the keys are ${SET_KEYS}`);
  }
  return s;
}
