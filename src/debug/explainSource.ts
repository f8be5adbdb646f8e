/**
 * The read-only "sources" that step-into shows: one per kernel function, one check per line, built
 * from CHECKS in explain.ts so the listing is the same table the handlers report against.
 */
import { CHECKS, HandlerFn } from '../core/explain';

export const HANDLER_FNS: readonly HandlerFn[] = [...new Set(CHECKS.map((c) => c.fn))];

const HEADER_LINES = 2;

export function sourceReferenceOf(fn: HandlerFn): number {
  return HANDLER_FNS.indexOf(fn) + 1;
}

export function fnOfReference(ref: number): HandlerFn | undefined {
  return HANDLER_FNS[ref - 1];
}

/** The listing of a function's checks, in the kernel's order. */
export function sourceText(fn: HandlerFn): string {
  const lines = [`/* ${fn}: the checks hptrace emulates, in the kernel's order (read-only) */`, ''];
  for (const c of CHECKS.filter((x) => x.fn === fn)) lines.push(`${c.code}${c.variants ? `   /* kernel ${c.variants.join(', ')} only */` : ''}`);
  return lines.join('\n') + '\n';
}

/** 1-based line of a check in its function's listing. */
export function lineOfCheck(id: string): number {
  const c = CHECKS.find((x) => x.id === id);
  if (!c) return 1;
  return CHECKS.filter((x) => x.fn === c.fn).findIndex((x) => x.id === id) + 1 + HEADER_LINES;
}
