// V8's garbage collections during each measured window (`npm run bench -- --gc`): workerd runs with
// `--trace-gc-nvp`, which prints one line per collection of every isolate, and each line is counted in the window
// it arrived in. A window's figures are those of every isolate that collected in it: the endpoint's (or the
// reference Worker's) and the local D1's, which does the same work on both sides of a comparison. No imports, so a
// test can load it without the harness's Node-only modules.

/** What V8's collections did in one window, summed over the isolates that collected in it. */
export interface Collections {
  /** Young-generation collections (scavenges, minor mark-sweeps). */
  young: number;
  /** Full collections (mark-compact). */
  full: number;
  /** Their pauses of the isolate's thread, in ms. */
  pauseMs: number;
  /** Bytes allocated since each isolate's previous collection, summed over the collections. */
  allocatedBytes: number;
  /** Bytes the young collections moved to the old generation: what later full collections have to mark. */
  promotedBytes: number;
}

const NO_COLLECTIONS: Collections = { young: 0, full: 0, pauseMs: 0, allocatedBytes: 0, promotedBytes: 0 };

/**
 * V8's names of its young-generation collectors in `--trace-gc-nvp`: `"s"`, the scavenger (workerd's, the only one
 * seen here), and `"mmc"`, the minor mark-compactor of V8 builds that use it. Every other one is a full collection.
 */
const YOUNG = new Set(["s", "mmc"]);

// `[pid:isolate:context]   1234 ms: GC: {"pause":…,"gc":"s",…}` (the isolate's clock, not ours: ours is when it arrived).
const LINE = /\[\d+:0x[0-9a-f]+:\d+\]\s+[\d.]+ ms: GC: (\{.*\})\s*$/;

/** One collection from a `--trace-gc-nvp` line, or null for any other line. */
export function parseGcLine(line: string): Collections | null {
  const m = LINE.exec(line);
  if (!m) return null;
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(m[1]!) as Record<string, unknown>;
  } catch {
    return null;
  }
  const num = (k: string) => (typeof d[k] === "number" ? (d[k] as number) : 0);
  const young = YOUNG.has(String(d.gc));
  return {
    young: young ? 1 : 0,
    full: young ? 0 : 1,
    pauseMs: num("pause"),
    allocatedBytes: num("allocated"),
    promotedBytes: young ? num("promoted") : 0,
  };
}

function addCollections(a: Collections, b: Collections): Collections {
  return {
    young: a.young + b.young,
    full: a.full + b.full,
    pauseMs: a.pauseMs + b.pauseMs,
    allocatedBytes: a.allocatedBytes + b.allocatedBytes,
    promotedBytes: a.promotedBytes + b.promotedBytes,
  };
}

/** The sum of the counted ones, or undefined when none was counted (a run without --gc). */
export function sumCollections(counted: ReadonlyArray<Collections | undefined>): Collections | undefined {
  let sum: Collections | undefined;
  for (const c of counted) if (c) sum = addCollections(sum ?? NO_COLLECTIONS, c);
  return sum;
}

/** The collections seen so far, in order of arrival; `mark()` and `since()` delimit a window. */
export class GcTrace {
  private readonly seen: Collections[] = [];

  /** Counts `line` when it is a collection's; true when it was. */
  line(line: string): boolean {
    const c = parseGcLine(line);
    if (c) this.seen.push(c);
    return c !== null;
  }

  mark(): number {
    return this.seen.length;
  }

  since(mark: number): Collections {
    return sumCollections(this.seen.slice(mark)) ?? NO_COLLECTIONS;
  }
}
