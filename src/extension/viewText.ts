/**
 * Labels, descriptions and Markdown tooltips of the Memslots and slot_phys views, built from the
 * adapter's custom-request answers (protocol.ts). Pure, so the unit tests check them directly.
 */
import { MemslotInfo, SlotPhysEntry } from '../debug/protocol';
import { parseU64 } from '../core/u64';
import { slotPhysMarkdown } from './hoverText';

export interface ItemText {
  label: string;
  description: string;
  tooltip: string;
  /** The value "Copy value" puts on the clipboard. */
  copy: string;
}

function backingText(s: MemslotInfo): string {
  const b = s.backing;
  if (!b) return 'no vma';
  if (b.type === 'pfnmap') return `pfnmap cache=${b.cache ?? 'none'}`;
  if (b.type === 'anon')
    return `anon${b.pageSize ? ` ${b.pageSize >= 1 << 20 ? b.pageSize / (1 << 20) + 'M' : b.pageSize / 1024 + 'K'}` : ''}`;
  return 'other';
}

export function memslotText(s: MemslotInfo): ItemText {
  const tip = [
    `**memslot ${s.id}** (line ${s.line})${s.hasIo ? ' — I/O' : ''}: ${backingText(s)}`,
    '',
    '| | |',
    '|---|---|',
    `| base_gfn | \`${s.baseGfn}\` |`,
    `| npages | \`${s.npages}\` |`,
    `| gpa | \`${s.gpaStart}\`–\`${s.gpaEnd}\` |`,
    `| userspace_addr (hva) | \`${s.hva}\` |`,
    `| flags | \`${s.flags}\` |`,
    `| slot_phys entries set | ${s.slotPhysCount}${s.hasIo ? ' (I/O)' : ''} |`,
  ];
  const b = s.backing;
  if (b) {
    tip.push(`| backing vma | \`${b.start}-${b.end}\` ${b.type} (line ${b.line}) |`);
    if (b.type === 'pfnmap')
      tip.push(`| vm_pgoff | \`${b.pgoff ?? '0x0'}\` |`, `| cache bits | ${b.cache ?? 'none'} |`);
    if (b.type === 'anon') tip.push(`| first pfn | \`${b.pfn ?? ''}\` |`);
  }
  return {
    label: `memslot ${s.id}`,
    // Short enough for a default-width side bar; the rest is in the tooltip and the child rows.
    description: `${s.gpaStart} · ${s.hasIo ? 'I/O' : backingText(s)}`,
    tooltip: tip.join('\n'),
    copy: `memslot ${s.id} gfn=${s.baseGfn} npages=${s.npages} hva=${s.hva} flags=${s.flags}`,
  };
}

export function slotPhysText(slot: number, e: SlotPhysEntry, pageSize: number, current: boolean): ItemText {
  const v = parseU64(e.value);
  const flags = e.flags.length ? ' ' + e.flags.join(' ') : '';
  return {
    label: `[${'0x' + e.index.toString(16)}] ${e.value}`,
    // Flags and the current-hcall mark only (I/O shows in the icon and the slot's row): gfn, pfn
    // and order are in the tooltip.
    description: `${flags.trim()}${current ? ' ◀' : ''}`.trim(),
    tooltip:
      `slot_phys[${slot}][0x${e.index.toString(16)}]${current ? ' — used by the current hcall' : ''}\n\n` +
      `gfn ${e.gfn} → pfn ${e.pfn}, order ${e.order}${flags}${e.io ? ', I/O' : ''}\n\n` +
      (v ? slotPhysMarkdown(v, pageSize) : e.value),
    copy: e.value,
  };
}
