/**
 * A small, safe expression language for breakpoint conditions, logpoints, watch and the debug
 * console: C operators over 64-bit values, dotted names (`ptel.WIMG`) resolved by the caller, and the
 * kernel's names from bits.ts (H_ENTER, H_PARAMETER, H_EXACT …). No eval, no new Function: the text is
 * parsed to a tree once and the tree is walked.
 *
 * Values are bigint (signed, so `ret == H_PARAMETER` compares -4 with -4) or NONE, which a name takes
 * where it does not apply (ptel on an H_REMOVE, a missing recorded result): NONE is falsy, every
 * comparison with it but `!=` is false, and arithmetic on it stays NONE.
 */
import { flagMask, HCALL_FLAGS, HCALLS, RETURN_CODES } from '../core/bits';
import { parseU64 } from '../core/u64';

export const NONE: unique symbol = Symbol('none');
export type Value = bigint | typeof NONE;

export class ExprError extends Error {}

type Node =
  | { k: 'num'; v: bigint }
  | { k: 'name'; path: string[]; at: number }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node };

/** Resolves a dotted name for one evaluation; undefined means "no such name" (an error). */
export type Resolver = (path: readonly string[]) => Value | undefined;

const CONSTANTS = new Map<string, bigint>([
  ...HCALLS.map((h) => [h.name, BigInt(h.number)] as [string, bigint]),
  ...RETURN_CODES.map((c) => [c.name, BigInt(c.value)] as [string, bigint]),
  ...HCALL_FLAGS.map((f) => {
    const m = flagMask(f.name);
    return [f.name, (BigInt(m.hi) << 32n) | BigInt(m.lo)] as [string, bigint];
  }),
  ['true', 1n],
  ['false', 0n],
]);

export function constantValue(name: string): bigint | undefined {
  return CONSTANTS.get(name);
}

const PUNCT = [
  '||',
  '&&',
  '==',
  '!=',
  '<=',
  '>=',
  '<<',
  '>>',
  '<',
  '>',
  '|',
  '^',
  '&',
  '+',
  '-',
  '*',
  '/',
  '%',
  '!',
  '~',
  '(',
  ')',
];

interface Tok {
  t: 'num' | 'id' | 'op' | 'end';
  s: string;
  at: number;
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)[KMG]?/.exec(src.slice(i)) ?? undefined;
    if (m && /[0-9]/.test(c)) {
      out.push({ t: 'num', s: m[0], at: i });
      i += m[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', s: id[0], at: i });
      i += id[0].length;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (!p) throw new ExprError(`unexpected ${JSON.stringify(c)} at column ${i + 1}`);
    out.push({ t: 'op', s: p, at: i });
    i += p.length;
  }
  out.push({ t: 'end', s: '', at: src.length });
  return out;
}

function numberOf(s: string): bigint {
  const suffix = s[s.length - 1];
  const mult = suffix === 'K' ? 1024n : suffix === 'M' ? 1048576n : suffix === 'G' ? 1073741824n : 1n;
  const digits = mult === 1n ? s : s.slice(0, -1);
  const v = parseU64(digits);
  if (!v) throw new ExprError(`${s} is not a 64-bit number`);
  return ((BigInt(v.hi) << 32n) | BigInt(v.lo)) * mult;
}

// Binary operators by precedence level, loosest first (C's order).
const LEVELS = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '<=', '>', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

class Parser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}
  parse(): Node {
    const n = this.level(0);
    const t = this.toks[this.p];
    if (t.t !== 'end') throw new ExprError(`unexpected ${JSON.stringify(t.s)} at column ${t.at + 1}`);
    return n;
  }
  private level(l: number): Node {
    if (l === LEVELS.length) return this.unary();
    let a = this.level(l + 1);
    for (;;) {
      const t = this.toks[this.p];
      if (t.t !== 'op' || !LEVELS[l].includes(t.s)) return a;
      this.p++;
      a = { k: 'bin', op: t.s, a, b: this.level(l + 1) };
    }
  }
  private unary(): Node {
    const t = this.toks[this.p];
    if (t.t === 'op' && (t.s === '!' || t.s === '~' || t.s === '-')) {
      this.p++;
      return { k: 'un', op: t.s, a: this.unary() };
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.toks[this.p++];
    if (t.t === 'num') return { k: 'num', v: numberOf(t.s) };
    if (t.t === 'id') return { k: 'name', path: t.s.split('.'), at: t.at };
    if (t.t === 'op' && t.s === '(') {
      const n = this.level(0);
      const c = this.toks[this.p++];
      if (c.s !== ')') throw new ExprError(`expected ")" at column ${c.at + 1}`);
      return n;
    }
    throw new ExprError(
      t.t === 'end' ? 'the expression ends too early' : `unexpected ${JSON.stringify(t.s)} at column ${t.at + 1}`,
    );
  }
}

const M64 = (1n << 64n) - 1n;
const truth = (v: Value): boolean => v !== NONE && v !== 0n;
const b = (x: boolean): bigint => (x ? 1n : 0n);

export class Expr {
  private constructor(
    readonly source: string,
    private readonly root: Node,
  ) {}

  static parse(source: string): Expr {
    if (!source.trim()) throw new ExprError('empty expression');
    return new Expr(source, new Parser(lex(source)).parse());
  }

  /** Every dotted name the expression uses that is not a kernel constant (for validation). */
  names(): string[][] {
    const out: string[][] = [];
    const walk = (n: Node): void => {
      if (n.k === 'name') {
        if (!(n.path.length === 1 && CONSTANTS.has(n.path[0]))) out.push(n.path);
      } else if (n.k === 'un') walk(n.a);
      else if (n.k === 'bin') {
        walk(n.a);
        walk(n.b);
      }
    };
    walk(this.root);
    return out;
  }

  evaluate(resolve: Resolver): Value {
    return this.ev(this.root, resolve);
  }

  test(resolve: Resolver): boolean {
    return truth(this.evaluate(resolve));
  }

  private ev(n: Node, r: Resolver): Value {
    switch (n.k) {
      case 'num':
        return n.v;
      case 'name': {
        const v = r(n.path);
        if (v !== undefined) return v;
        if (n.path.length === 1) {
          const c = CONSTANTS.get(n.path[0]);
          if (c !== undefined) return c;
        }
        throw new ExprError(`unknown name ${n.path.join('.')}`);
      }
      case 'un': {
        const a = this.ev(n.a, r);
        if (n.op === '!') return b(!truth(a));
        if (a === NONE) return NONE;
        return n.op === '~' ? ~a & M64 : -a;
      }
      case 'bin': {
        if (n.op === '&&') return b(truth(this.ev(n.a, r)) && truth(this.ev(n.b, r)));
        if (n.op === '||') return b(truth(this.ev(n.a, r)) || truth(this.ev(n.b, r)));
        const a = this.ev(n.a, r);
        const c = this.ev(n.b, r);
        if (a === NONE || c === NONE) {
          if (n.op === '!=') return b(a !== c);
          if (n.op === '==' || n.op === '<' || n.op === '<=' || n.op === '>' || n.op === '>=') return 0n;
          return NONE;
        }
        switch (n.op) {
          case '==':
            return b(a === c);
          case '!=':
            return b(a !== c);
          case '<':
            return b(a < c);
          case '<=':
            return b(a <= c);
          case '>':
            return b(a > c);
          case '>=':
            return b(a >= c);
          case '|':
            return a | c;
          case '^':
            return a ^ c;
          case '&':
            return a & c;
          case '<<':
            return (a << c) & M64;
          case '>>':
            return a >> c;
          case '+':
            return a + c;
          case '-':
            return a - c;
          case '*':
            return a * c;
          case '/':
          case '%':
            if (c === 0n) throw new ExprError('division by zero');
            return n.op === '/' ? a / c : a % c;
        }
        throw new ExprError(`unknown operator ${n.op}`);
      }
    }
  }
}

/** A value as the user reads it: hex for non-negative numbers, decimal for negative ones. */
export function showValue(v: Value): string {
  if (v === NONE) return '(none)';
  return v < 0n ? v.toString() : '0x' + v.toString(16);
}

/** `{expr}` interpolation for logpoints; a bad expression shows its error in place. */
export function interpolate(
  template: string,
  resolve: Resolver,
  show: (path: string, v: Value) => string = (_p, v) => showValue(v),
): string {
  return template.replace(/\{([^{}]+)\}/g, (_m, src: string) => {
    try {
      return show(src.trim(), Expr.parse(src).evaluate(resolve));
    } catch (e) {
      return `<${(e as Error).message}>`;
    }
  });
}
