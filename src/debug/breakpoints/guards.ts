/**
 * Breakpoint guards: the condition, hit count and log message every kind of breakpoint may carry.
 *
 * Hit counts count the times a breakpoint's location and condition matched while running (continue,
 * reverse continue, in either direction) since it was set; a bare `N` means ">= N", as in gdb's ignore
 * count. `== N`, `> N`, `>= N`, `< N`, `<= N` and `% N` are accepted too.
 */
import { unknownName } from '../context';
import { Expr, ExprError, templateParts } from '../expr';

export interface Guard {
  condition?: Expr;
  hit?: (n: number) => boolean;
  hits: number;
  logMessage?: string;
}

/** The test a hit condition stands for; throws ExprError naming what is wrong. */
export function parseHit(s: string): (n: number) => boolean {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d{1,15})\s*$/.exec(s);
  if (!m) throw new ExprError(`hit count ${JSON.stringify(s)}: expected N, == N, > N, >= N, < N, <= N or % N`);
  const n = Number(m[2]);
  switch (m[1]) {
    case '==':
      return (h) => h === n;
    case '>':
      return (h) => h > n;
    case '<':
      return (h) => h < n;
    case '<=':
      return (h) => h <= n;
    case '%':
      if (n === 0) throw new ExprError('hit count % 0');
      return (h) => h % n === 0;
    default:
      return (h) => h >= n;
  }
}

/** Parses an expression and checks that every name it uses can resolve. */
export function checkedExpr(src: string): Expr {
  const x = Expr.parse(src);
  for (const p of x.names()) {
    const why = unknownName(p);
    if (why) throw new ExprError(why);
  }
  return x;
}

/** Builds a guard; throws ExprError with the reason a condition, hit count or log message is not usable. */
export function makeGuard(condition?: string, hitCondition?: string, logMessage?: string): Guard {
  const g: Guard = { hits: 0 };
  if (typeof condition === 'string' && condition.trim()) g.condition = checkedExpr(condition);
  if (typeof hitCondition === 'string' && hitCondition.trim()) g.hit = parseHit(hitCondition);
  if (typeof logMessage === 'string' && logMessage) {
    for (const part of templateParts(logMessage)) if (typeof part !== 'string') checkedExpr(part.expr);
    g.logMessage = logMessage;
  }
  return g;
}
