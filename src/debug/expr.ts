/**
 * A small, safe expression language for breakpoint conditions, logpoints, watch and the debug
 * console: C operators over 64-bit values, dotted names (`ptel.WIMG`) resolved by the caller, and the
 * kernel's names from bits.ts (H_ENTER, H_PARAMETER, H_EXACT …). No eval, no new Function: the text is
 * parsed to a tree once and the tree is walked.
 *
 * Values are bigint or NONE, which a name takes where it does not apply (ptel on an H_REMOVE, a
 * missing recorded result): NONE is falsy, every comparison with it but `!=` is false, and arithmetic
 * on it stays NONE.
 *
 * Arithmetic is 64-bit and defined for every input (README, "Expressions"): a value is an integer in
 * -2^63 .. 2^64-1 (a 64-bit word read unsigned, or a negative number such as a return code). `+ - *
 * / % & | ^` and unary `-` wrap modulo 2^64: a result stays negative only when it is negative and
 * fits in 64-bit two's complement, else it is the unsigned word. `~` and `<<` give the unsigned word;
 * `>>` shifts right (arithmetic for a negative value); a shift count outside 0..63 is an error that
 * names the operator, as is division by zero. `==` and `!=` compare 64-bit words (-1 == ~0), `< <= >
 * >=` compare values. Every intermediate value is at most 65 bits, an expression is at most
 * MAX_SOURCE characters and MAX_DEPTH levels of nesting, so no evaluation can run long or grow.
 */
import { flagMask, HCALL_FLAGS, HCALLS, RETURN_CODES } from '../core/bits';
import { parseU64 } from '../core/u64';

export const NONE: unique symbol = Symbol('none');
export type Value = bigint | typeof NONE;

export class ExprError extends Error {}

/** The longest expression text accepted. */
export const MAX_SOURCE = 4096;
/** The deepest nesting (parentheses and unary operators) accepted. */
export const MAX_DEPTH = 64;
/** A logpoint message: its longest text and the most `{…}` expressions in it. */
export const MAX_TEMPLATE = 16384;
export const MAX_TEMPLATE_PARTS = 64;

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
  const n = v ? ((BigInt(v.hi) << 32n) | BigInt(v.lo)) * mult : -1n;
  if (n < 0n || n > M64) throw new ExprError(`${s} is not a 64-bit number`);
  return n;
}

const M64 = (1n << 64n) - 1n;
const TWO63 = 1n << 63n;
const TWO64 = 1n << 64n;

/** Reduces a result modulo 2^64: negative when it is negative and fits in two's complement, else unsigned. */
export function wrap64(x: bigint): bigint {
  if (x >= 0n && x <= M64) return x;
  const y = x & M64;
  return x < 0n && y >= TWO63 ? y - TWO64 : y;
}

function shiftCount(c: bigint, op: string): bigint {
  if (c < 0n || c > 63n) throw new ExprError(`shift count ${c} is out of range for ${op} (0..63)`);
  return c;
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
  private depth = 0;
  constructor(private readonly toks: Tok[]) {}
  private enter(at: number): void {
    if (++this.depth > MAX_DEPTH)
      throw new ExprError(`the expression nests too deeply at column ${at + 1} (at most ${MAX_DEPTH} levels)`);
  }
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
      this.enter(t.at);
      const a = this.unary();
      this.depth--;
      return { k: 'un', op: t.s, a };
    }
    return this.primary();
  }
  private primary(): Node {
    const t = this.toks[this.p++];
    if (t.t === 'num') return { k: 'num', v: numberOf(t.s) };
    if (t.t === 'id') return { k: 'name', path: t.s.split('.'), at: t.at };
    if (t.t === 'op' && t.s === '(') {
      this.enter(t.at);
      const n = this.level(0);
      this.depth--;
      const c = this.toks[this.p++];
      if (c.s !== ')') throw new ExprError(`expected ")" at column ${c.at + 1}`);
      return n;
    }
    throw new ExprError(
      t.t === 'end' ? 'the expression ends too early' : `unexpected ${JSON.stringify(t.s)} at column ${t.at + 1}`,
    );
  }
}

const truth = (v: Value): boolean => v !== NONE && v !== 0n;
const b = (x: boolean): bigint => (x ? 1n : 0n);

export class Expr {
  private constructor(
    readonly source: string,
    private readonly root: Node,
  ) {}

  static parse(source: string): Expr {
    if (typeof source !== 'string' || !source.trim()) throw new ExprError('empty expression');
    if (source.length > MAX_SOURCE)
      throw new ExprError(`the expression is ${source.length} characters long; at most ${MAX_SOURCE} are allowed`);
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
        return n.op === '~' ? ~a & M64 : wrap64(-a);
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
            return b(((a - c) & M64) === 0n);
          case '!=':
            return b(((a - c) & M64) !== 0n);
          case '<':
            return b(a < c);
          case '<=':
            return b(a <= c);
          case '>':
            return b(a > c);
          case '>=':
            return b(a >= c);
          case '|':
            return wrap64(a | c);
          case '^':
            return wrap64(a ^ c);
          case '&':
            return wrap64(a & c);
          case '<<':
            return (a << shiftCount(c, '<<')) & M64;
          case '>>':
            return a >> shiftCount(c, '>>');
          case '+':
            return wrap64(a + c);
          case '-':
            return wrap64(a - c);
          case '*':
            return wrap64(a * c);
          case '/':
          case '%':
            if (c === 0n) throw new ExprError(`division by zero (${n.op})`);
            return wrap64(n.op === '/' ? a / c : a % c);
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

/**
 * A logpoint message split into text and `{expr}` parts. Throws ExprError when the message is longer
 * than MAX_TEMPLATE or holds more than MAX_TEMPLATE_PARTS expressions.
 */
export function templateParts(template: string): (string | { expr: string })[] {
  if (template.length > MAX_TEMPLATE)
    throw new ExprError(`the log message is ${template.length} characters long; at most ${MAX_TEMPLATE} are allowed`);
  const out: (string | { expr: string })[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([^{}]+)\}/g)) {
    if (out.length >= 2 * MAX_TEMPLATE_PARTS)
      throw new ExprError(`the log message has more than ${MAX_TEMPLATE_PARTS} {expressions}`);
    out.push(template.slice(last, m.index), { expr: m[1] });
    last = m.index! + m[0].length;
  }
  out.push(template.slice(last));
  return out;
}

/** `{expr}` interpolation for logpoints; a bad expression shows its error in place. */
export function interpolate(
  template: string,
  resolve: Resolver,
  show: (path: string, v: Value) => string = (_p, v) => showValue(v),
): string {
  let parts: (string | { expr: string })[];
  try {
    parts = templateParts(template);
  } catch (e) {
    return `<${(e as Error).message}>`;
  }
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      try {
        return show(p.expr.trim(), Expr.parse(p.expr).evaluate(resolve));
      } catch (e) {
        return `<${(e as Error).message}>`;
      }
    })
    .join('');
}
