import { describe, expect, it } from "vitest";
import { intervalRank, judge, medianInterval, overallVerdict } from "../../scripts/bench/verdict";

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => n - i); // any order: sorted inside

describe("npm run bench: the interval of a median over turns, and the verdict of a goal", () => {
  it("takes the order statistics whose chance of missing the median is at most 5 % on each side", () => {
    expect(medianInterval(oneTo(4))).toBeNull();
    // The rank alone, for a run's header (no interval, so no verdict, under 5 turns at 90 %).
    expect([4, 5, 15, 30].map((n) => intervalRank(n))).toEqual([0, 1, 4, 11]);
    expect(medianInterval(oneTo(5))).toMatchObject({ low: 1, high: 5 });
    expect(medianInterval(oneTo(15))).toMatchObject({ low: 4, high: 12 });
    expect(medianInterval(oneTo(30))).toMatchObject({ low: 11, high: 20 });
    expect(medianInterval(oneTo(72))).toMatchObject({ low: 29, high: 44 });
    expect(medianInterval(oneTo(15))!.confidence).toBeCloseTo(0.9648, 4);
    // A turn without a figure (a reference missing) is left out, not counted.
    expect(medianInterval([...oneTo(5), Number.NaN])).toMatchObject({ low: 1, high: 5 });
  });

  it("is met only when the whole interval meets the bound, not met when none of it does, else at the line", () => {
    const share = { kind: "× bare", atLeast: 0.9 } as const;
    const cpu = { kind: "CPU − bare ms", atMost: 0.3 } as const;
    expect(judge(share, 0.95, { low: 0.92, high: 0.97, confidence: 0.9 }).verdict).toBe("met");
    expect(judge(share, 0.95, { low: 0.88, high: 0.97, confidence: 0.9 }).verdict).toBe("at the line");
    expect(judge(share, 0.85, { low: 0.8, high: 0.89, confidence: 0.9 }).verdict).toBe("not met");
    expect(judge(cpu, 0.05, { low: 0.01, high: 0.08, confidence: 0.9 }).verdict).toBe("met");
    expect(judge(cpu, 0.25, { low: 0.2, high: 0.35, confidence: 0.9 }).verdict).toBe("at the line");
    // Without an interval (a --quick run's 2 turns) no goal is judged, however far its median is from the bound.
    expect(judge(share, 0.5, null).verdict).toBe("too few turns");
    expect(judge(cpu, 0.01, null).verdict).toBe("too few turns");
    // A scenario is as good as its worst goal: one not met outweighs one not judged, one not judged one met.
    expect(overallVerdict([judge(share, 0.95, { low: 0.92, high: 0.97, confidence: 0.9 }), judge(cpu, 0.05, null)])).toBe("too few turns");
    expect(overallVerdict([judge(share, 0.95, { low: 0.88, high: 0.97, confidence: 0.9 }), judge(cpu, 0.05, null)])).toBe("at the line");
    expect(overallVerdict([judge(share, 0.8, { low: 0.7, high: 0.85, confidence: 0.9 }), judge(cpu, 0.5, null)])).toBe("not met");
    expect(overallVerdict([judge(share, 0.95, { low: 0.92, high: 0.97, confidence: 0.9 }), judge(cpu, 0.05, { low: 0.01, high: 0.08, confidence: 0.9 })])).toBe("met");
  });
});
