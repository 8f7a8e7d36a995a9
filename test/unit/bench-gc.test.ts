import { describe, expect, it } from "vitest";
import { GcTrace, parseGcLine, sumCollections } from "../../scripts/bench/gc";

// Lines as workerd prints them with --trace-gc-nvp (shortened: V8 prints some 80 fields per collection).
const scavenge = (pause: number, allocated: number, promoted: number) =>
  `[4058:0x728fbfc96000:0]      176 ms: GC: {"pause":${pause},"mutator":164.291,"gc":"s","reduce_memory":false,"allocated":${allocated},"promoted":${promoted},"new_space_survived":682208}`;
const markCompact = (pause: number, allocated: number) =>
  `[4058:0x728fbda56000:0]    24517 ms: GC: {"pause":${pause},"gc":"mc","reason":"allocation limit","allocated":${allocated},"promoted":20480}`;

describe("npm run bench --gc: V8's collections from workerd's trace", () => {
  it("reads a young and a full collection, and nothing from other lines", () => {
    expect(parseGcLine(scavenge(5.5, 11_801_896, 8_112_060))).toEqual({ young: 1, full: 0, pauseMs: 5.5, allocatedBytes: 11_801_896, promotedBytes: 8_112_060 });
    // A full collection promotes nothing: its "promoted" is not a young collection's move to the old generation.
    expect(parseGcLine(markCompact(29.8, 5_600_000))).toEqual({ young: 0, full: 1, pauseMs: 29.8, allocatedBytes: 5_600_000, promotedBytes: 0 });
    expect(parseGcLine('{"level":"log","message":"GC: {}"}')).toBeNull();
    expect(parseGcLine("[1:0x1:0]   3 ms: GC: {not json}")).toBeNull();
    expect(parseGcLine("[1:0x1:0] 3 ms: Scavenge 1.2 (2.0) -> 1.0 (2.0) MB, 0.4 / 0.0 ms")).toBeNull();
  });

  it("sums the collections traced between a mark and now, whichever isolate made them", () => {
    const trace = new GcTrace();
    expect(trace.line(scavenge(1, 100, 10))).toBe(true);
    const mark = trace.mark();
    expect(trace.since(mark)).toEqual({ young: 0, full: 0, pauseMs: 0, allocatedBytes: 0, promotedBytes: 0 });
    expect(trace.line("workerd says something else")).toBe(false);
    trace.line(scavenge(2, 200, 20));
    trace.line(markCompact(30, 50));
    expect(trace.since(mark)).toEqual({ young: 1, full: 1, pauseMs: 32, allocatedBytes: 250, promotedBytes: 20 });
    // Slices of a run without --gc have none: their window reports none, not zeros.
    expect(sumCollections([undefined, undefined])).toBeUndefined();
    expect(sumCollections([undefined, trace.since(mark)])).toEqual(trace.since(mark));
  });
});
