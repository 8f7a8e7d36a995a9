import type { TraceRecorder } from "../../src/runner/types";

/** A span as the fake recorder keeps it. */
export interface Span {
  id: string;
  name: string;
  kind: string;
  parentId: string | null;
  attributes: Record<string, unknown>;
  error?: string;
  ended: boolean;
}

/** A TraceRecorder that keeps spans and events in arrays for assertions. */
export function fakeTrace() {
  const spans: Span[] = [];
  const events: Array<{ spanId: string; name: string; attributes?: Record<string, unknown> }> = [];
  const trace: TraceRecorder = {
    start(name, kind, parentId, attributes = {}) {
      const id = `s${spans.length + 1}`;
      spans.push({ id, name, kind, parentId, attributes: { ...attributes }, ended: false });
      return id;
    },
    end(id, update) {
      const span = spans.find((s) => s.id === id)!;
      span.ended = true;
      Object.assign(span.attributes, update?.attributes ?? {});
      if (update?.error) span.error = update.error;
    },
    event(spanId, name, attributes) {
      events.push({ spanId, name, ...(attributes ? { attributes } : {}) });
    },
  };
  return { trace, spans, events };
}
