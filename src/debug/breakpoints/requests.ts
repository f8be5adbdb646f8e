/**
 * The setBreakpoints-family requests on the registry: each replaces one kind's breakpoints with the
 * client's list and answers one DAP Breakpoint per entry (verified, or a message saying why not).
 * Lines here are the runtime's (1-based); the session converts the client's.
 */
import { DebugProtocol } from '@vscode/debugprotocol';
import { dataBreakpoint } from './data';
import { filterDef } from './exceptions';
import { makeGuard } from './guards';
import { Breakpoints, FilterSetting, hcallLabel, hcallOf } from './registry';

const refused = (id: number | undefined, err: unknown): DebugProtocol.Breakpoint => ({
  ...(id === undefined ? {} : { id }),
  verified: false,
  message: (err as Error).message,
});

/**
 * Line breakpoints: `asked[k]` is at runtime line `lines[k]`; `hcallLines` says which lines hold an
 * hcall; `why` (when set) is the reason no line of this source can take one.
 */
export function setLineBreakpoints(
  bps: Breakpoints,
  asked: readonly DebugProtocol.SourceBreakpoint[],
  lines: readonly number[],
  hcallLines: ReadonlySet<number>,
  why: string | undefined,
): DebugProtocol.Breakpoint[] {
  bps.lines = new Map();
  return asked.map((b, k) => {
    const line = lines[k];
    const id = bps.newId();
    if (why) return { id, verified: false, message: why };
    if (!hcallLines.has(line))
      return { id, verified: false, message: 'not an hcall record: breakpoints go on hcall lines' };
    try {
      const guard = makeGuard(b.condition, b.hitCondition, b.logMessage);
      bps.lines.set(line, { id, kind: 'line', guard, label: `line ${line}`, line });
      return { id, verified: true };
    } catch (err) {
      return refused(id, err);
    }
  });
}

export function setFunctionBreakpoints(
  bps: Breakpoints,
  list: readonly DebugProtocol.FunctionBreakpoint[],
): DebugProtocol.Breakpoint[] {
  bps.functions = [];
  return list.map((b) => {
    const id = bps.newId();
    try {
      const n = hcallOf(b.name);
      bps.functions.push({
        id,
        kind: 'function',
        guard: makeGuard(b.condition, b.hitCondition),
        label: hcallLabel(n),
        hcall: n,
      });
      return { id, verified: true };
    } catch (err) {
      return refused(id, err);
    }
  });
}

/** The client's exception filters: the whole state from now on (a launch's breakOn only seeded it). */
export function setExceptionFilters(bps: Breakpoints, list: readonly FilterSetting[]): DebugProtocol.Breakpoint[] {
  const results: DebugProtocol.Breakpoint[] = [];
  const good: FilterSetting[] = [];
  for (const x of list) {
    if (!filterDef(x.filter)) {
      results.push({ verified: false, message: `unknown filter ${x.filter}` });
      continue;
    }
    try {
      makeGuard(x.condition);
      good.push(x);
      results.push({ verified: true });
    } catch (err) {
      results.push(refused(undefined, err));
    }
  }
  bps.setExceptions(good);
  return results;
}

export function setDataBreakpoints(
  bps: Breakpoints,
  list: readonly DebugProtocol.DataBreakpoint[],
): DebugProtocol.Breakpoint[] {
  bps.data = [];
  return list.map((b) => {
    const id = bps.newId();
    try {
      const bp = dataBreakpoint(id, b.dataId, b.condition, b.hitCondition);
      bps.data.push(bp);
      return { id, verified: true, description: bp.label } as DebugProtocol.Breakpoint;
    } catch (err) {
      return refused(id, err);
    }
  });
}
