import type { StoredSpan } from "../runs/records";
import type { SpanKind, TraceRecorder } from "./types";

/**
 * Collects a run's spans in memory; the orchestrator stores them with the run's terminal status. Spans still
 * open when the run ends are closed then (`endedAt` the end of the run), so a stored trace has no open span.
 *
 * @example
 * const trace = createTraceRecorder(() => new Date());
 * const root = trace.start("run", "run", null);
 * trace.end(root, { attributes: { answer: "…" } });
 */
export function createTraceRecorder(now: () => Date): TraceRecorder & { spans(): StoredSpan[]; closeAll(error?: string): void } {
  const spans = new Map<string, StoredSpan>();
  let counter = 0;
  return {
    start(name: string, kind: SpanKind, parentId: string | null, attributes: Record<string, unknown> = {}) {
      const id = `s${++counter}`;
      spans.set(id, { id, parentId, name, kind, startedAt: now().toISOString(), endedAt: null, attributes: { ...attributes } });
      return id;
    },
    end(id, update = {}) {
      const span = spans.get(id);
      if (!span || span.endedAt) return;
      span.endedAt = now().toISOString();
      Object.assign(span.attributes, update.attributes ?? {});
      if (update.error !== undefined) span.error = update.error;
    },
    event(spanId, name, attributes = {}) {
      const span = spans.get(spanId);
      if (!span) return;
      (span.events ??= []).push({ name, at: now().toISOString(), ...attributes });
    },
    closeAll(error) {
      for (const span of spans.values()) {
        if (span.endedAt) continue;
        span.endedAt = now().toISOString();
        if (error !== undefined) span.error ??= error;
      }
    },
    spans: () => [...spans.values()],
  };
}
