/**
 * What every command of the CLI shares, in a module of its own so that command modules (importCmd.ts,
 * stateCmd.ts …) import it without importing main.ts: the I/O interface, the two error classes main()
 * turns into exit codes, util.parseArgs with usage errors, and the FILE check.
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { isPathMistake, notReadableTrace } from '../core/lines';
import { KernelVariant, KERNEL_VARIANTS } from '../core/machine';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Raw bytes for standard output (the bulk of --json); without it they go to out() as text. */
  outBytes?: (b: Uint8Array) => void;
}

/** A command's entry point: its arguments after the command name; returns the exit code. */
export type CommandMain = (argv: string[], io: Io) => number | Promise<number>;

/**
 * A command of the table. help: the text of `hptrace NAME --help`; it starts with the usage (up to
 * the first blank line, "usage:" allowed), which `hptrace --help` lists on one line.
 */
export interface Command {
  name: string;
  help: string;
  run: CommandMain;
}

/** Bad usage: exit 2 with the message and the command's usage line. Commands may throw it. */
export class UsageError extends Error {}

/** A trace that cannot be read at all (not a regular file): exit 1 with the message. */
export class InputError extends Error {}

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * util.parseArgs in strict mode, with its errors turned into usage errors that name the option.
 * Positionals are allowed (the command checks their number); `--` ends the options.
 */
export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = (e as Error).message;
    const opt = /'(-[^' ]*)/.exec(msg)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${opt}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(/argument missing/.test(msg) ? `${opt} needs a value` : `${opt} takes no value`);
    if (code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(msg);
    throw e;
  }
}

/** `--help` or `-h` among the arguments (before a `--`). */
export function asksHelp(argv: string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * An input file argument (the trace FILE, or another input such as --check-htab's DUMP; `name` says
 * which when it is missing): a missing file or a directory is bad usage (2); anything else but a
 * regular file this process may read is refused (1). The message is core's `FILE: why`, as the debug
 * adapter says it for the same file.
 */
export function checkFile(file: string | undefined, name = 'FILE'): string {
  if (!file) throw new UsageError(`missing ${name}`);
  const why = notReadableTrace(file);
  if (isPathMistake(why)) throw new UsageError(`${file}: ${why}`);
  if (why) throw new InputError(`${file}: ${why}`);
  return file;
}

/** The --kernel option: io (the default) or pre-io. */
export function kernelOf(k: string | undefined): KernelVariant {
  k ??= 'io';
  if (!KERNEL_VARIANTS.includes(k as KernelVariant))
    throw new UsageError(`--kernel must be one of ${KERNEL_VARIANTS.join(', ')}`);
  return k as KernelVariant;
}
