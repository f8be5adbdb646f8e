/**
 * Format 2's coverage record in words: what a trace imported from a real capture holds and what it
 * lacks, for the debugger's launch message, the CLI and the editor. Also the one place that turns
 * an engine record's result into words with "unknown" kept apart from "not emulated".
 */
import * as fs from 'fs';
import { resultName } from './bits';
import { Engine } from './engine';
import { forEachLine } from './lines';
import { newParserState, parseLineGeneric } from './parser';
import { COVERAGE_REASONS, CoverageRecord, TraceError } from './records';

/** One paragraph saying whether the trace is complete or partial, why, and where it came from. */
export function coverageMessage(cov: CoverageRecord): string {
  const reasons = cov.why.map((c) => COVERAGE_REASONS.find((r) => r.code === c)?.text ?? c);
  let s = `This trace is ${cov.coverage.toUpperCase()}`;
  if (cov.coverage === 'partial') s += ': it does not hold every HPT hcall the guest made';
  else s += ': it holds every HPT hcall the guest made while the capture ran';
  s += '.';
  if (reasons.length) s += ' ' + reasons.map((r) => r[0].toUpperCase() + r.slice(1) + '.').join(' ');
  const src = [cov.from.length ? `imported from ${cov.from.join(', ')}` : '', cov.host ? `host ${cov.host}` : '']
    .filter(Boolean)
    .join('; ');
  if (src) s += ` (${src[0].toUpperCase() + src.slice(1)}.)`;
  return s;
}

/**
 * The coverage record of a trace file, or null (format 1, or no coverage record). Reads only up to
 * the first hpte or hcall record (the coverage record must come before both); a malformed line
 * there gives null too: the reader that opens the trace reports it.
 */
export function readCoverage(file: string): CoverageRecord | null {
  const st = newParserState(file);
  let found: CoverageRecord | null = null;
  try {
    if (!fs.statSync(file).isFile()) return null;
    forEachLine(file, (text, lineNo) => {
      const rec = parseLineGeneric(st, lineNo, text);
      if (!rec) return;
      if (rec.kind === 'coverage') found = rec;
      if (found || rec.kind === 'hcall' || rec.kind === 'hpte' || st.version === 1) return false;
    });
  } catch (e) {
    if (e instanceof TraceError || (e as NodeJS.ErrnoException).code) return null;
    throw e;
  }
  return found;
}

/** What a debugger says at launch about a trace's coverage, or null for a trace without a coverage record. */
export function launchCoverageNote(file: string): { text: string; partial: boolean } | null {
  const cov = readCoverage(file);
  return cov ? { text: coverageMessage(cov), partial: cov.coverage === 'partial' } : null;
}

/** Record i's emulated result in words: a return code, "unknown" (format 2) or "not emulated". */
export function resultLabel(e: Engine, i: number): string {
  return resultName(e.ret(i));
}
