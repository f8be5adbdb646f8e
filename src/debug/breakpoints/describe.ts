/**
 * Hit descriptions: what a stop on a breakpoint says (the stopped event's description and text, and
 * for exception filters the exceptionInfo body). The machine stands after the hcall that hit.
 */
import { DebugProtocol } from '@vscode/debugprotocol';
import { resultName } from '../../core/bits';
import { Engine } from '../../core/engine';
import { decidingCheck } from '../../core/explain';
import { divergenceDetails } from '../../core/replay';
import { dataLabel } from '../protocol';
import { Bp } from './registry';

export interface StopInfo {
  reason: string;
  description: string;
  text?: string;
  exception?: DebugProtocol.ExceptionInfoResponse['body'];
}

/** Describes why a breakpoint stopped at record k (the machine is after k). */
export function describeHit(e: Engine, bp: Bp, k: number): StopInfo {
  const rec = e.hcall(k)!;
  const retName = resultName(e.ret(k));
  const at = `${rec.name} at line ${rec.line}`;
  switch (bp.kind) {
    case 'line':
      return { reason: 'breakpoint', description: `Breakpoint: ${at} returned ${retName}` };
    case 'function':
      return {
        reason: 'function breakpoint',
        description: `Function breakpoint ${bp.label}: line ${rec.line} returned ${retName}`,
      };
    case 'data':
      return {
        reason: 'data breakpoint',
        description: `${dataLabel(bp.watch!)} changed: written by ${at} (${retName})`,
      };
    case 'exception':
      return describeException(e, bp.filter!, k);
  }
}

function describeException(e: Engine, filter: string, k: number): StopInfo {
  const rec = e.hcall(k)!;
  const retName = resultName(e.ret(k));
  const at = `${rec.name} at line ${rec.line}`;
  const res = e.explain(k);
  const c = res?.checks ? decidingCheck(res.checks.checks, res.ret === 0) : undefined;
  let why: string;
  if (filter === 'divergence')
    why = `diverged from the recording: ${res ? divergenceDetails(rec, res).join('; ') : ''}`;
  else if (filter === 'made-cacheable')
    why = `made cacheable: ${res?.checks?.checks.find((x) => x.note)?.detail ?? ''}`;
  else why = `${retName}: ${c?.detail ?? ''}`;
  const stack = res?.checks?.checks
    .map((x) => `${x.ok ? '✓' : '✗'} ${x.fn}: ${x.detail}${x.result ? ' → ' + x.result : ''}`)
    .join('\n');
  return {
    reason: 'exception',
    description: why,
    text: `${at} returned ${retName}${c ? ` — ${c.fn}: ${c.detail}` : ''}`,
    exception: {
      exceptionId: filter === 'divergence' || filter === 'made-cacheable' ? filter : retName,
      description: `${rec.name} (line ${rec.line}) returned ${retName}${c ? `; deciding check ${c.fn} (${c.id}): ${c.detail}` : ''}${filter === 'divergence' ? `; ${why}` : ''}`,
      breakMode: 'always',
      details: { message: why, typeName: rec.name, fullTypeName: `${rec.name} → ${retName}`, stackTrace: stack },
    },
  };
}
