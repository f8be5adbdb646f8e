/**
 * The one helper for long work (running through the trace, reading it ahead): the work goes in time
 * slices of ~SLICE_MS that yield to the event loop between them, so pause, cancel and other requests
 * get through; after PROGRESS_AFTER_MS it reports progress (start, updates, end).
 */

/** Work per slice before yielding to the event loop. */
export const SLICE_MS = 20;
/** Work longer than this reports progress. */
export const PROGRESS_AFTER_MS = 300;

export interface ProgressReport {
  kind: 'start' | 'update' | 'end';
  id: string;
  title?: string;
  message?: string;
  percentage?: number;
}

export type Interrupt = 'pause' | 'cancel' | 'gone';

export interface SlicedWork<T> {
  /**
   * Does a slice of the work: returns its result when done, or undefined when `overdue()` said the
   * slice is used up (call overdue() once per unit of work; it reads the clock only now and then).
   */
  slice(overdue: () => boolean): T | undefined;
  /** What to show while the work goes on. */
  status(): { title: string; message: string; percentage: number };
  /** Checked between slices: why to stop, or null to go on. */
  interrupted(): Interrupt | null;
}

let progressSerial = 0;

/** Runs work in slices until it is done or interrupted; progress goes to `report`. */
export async function runSliced<T>(
  work: SlicedWork<T>,
  report: (p: ProgressReport) => void,
): Promise<{ done: T } | { interrupted: Interrupt }> {
  const t0 = performance.now();
  let id: string | null = null;
  try {
    for (;;) {
      const end = performance.now() + SLICE_MS;
      let n = 0;
      const overdue = () => (++n & 63) === 0 && performance.now() > end;
      const r = work.slice(overdue);
      if (r !== undefined) return { done: r };
      if (performance.now() - t0 > PROGRESS_AFTER_MS) {
        const s = work.status();
        if (id === null) {
          id = `hptrace-progress-${Date.now()}-${++progressSerial}`;
          report({ kind: 'start', id, title: s.title, message: s.message, percentage: s.percentage });
        } else report({ kind: 'update', id, message: s.message, percentage: s.percentage });
      }
      await new Promise((r) => setImmediate(r));
      const why = work.interrupted();
      if (why) return { interrupted: why };
    }
  } finally {
    if (id !== null) report({ kind: 'end', id });
  }
}
