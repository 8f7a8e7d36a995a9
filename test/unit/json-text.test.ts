import { describe, expect, it } from "vitest";
import { answerOfText, BLOB_BODY_MIN_CHARS, jsonBodyOf, jsonTextOf, preSerializedList } from "../../src/lib/json-text";

// A list answer built from its items' JSON texts: its text must be exactly what JSON.stringify writes for the
// object it stands for, and the object must read as that object.
describe("preSerializedList", () => {
  const info = { page: 2, pageSize: 3, total: 7, totalExact: true, hasMore: true, nextCursor: "c\"u\u2028" };
  const items = [{ id: "a", n: 1 }, { id: "b", nested: { x: [1, "ü"] } }, { id: "c", s: "quote \" and \\" }];

  for (const count of [0, 1, 2, 3]) {
    it(`writes {key: items, ...info} with ${count} item(s)`, () => {
      const some = items.slice(0, count);
      const out = preSerializedList("runs", some.map((i) => JSON.stringify(i)), info);
      const expected = { runs: some, ...info };
      expect(jsonTextOf(out)).toBe(JSON.stringify(expected));
      expect(out).toStrictEqual(expected);
      expect(Object.keys(out)).toEqual(Object.keys(expected));
    });
  }

  it("gives the same JSON as a body: one string for a small page, a Blob of its UTF-8 bytes from BLOB_BODY_MIN_CHARS on", async () => {
    const small = preSerializedList("runs", items.map((i) => JSON.stringify(i)), info);
    expect(jsonBodyOf(small)).toBe(JSON.stringify({ runs: items, ...info }));

    const many = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, text: `ü✓🧪 "${i}" `.repeat(Math.ceil(BLOB_BODY_MIN_CHARS / 1000)) }));
    const large = preSerializedList("runs", many.map((i) => JSON.stringify(i)), info);
    const body = jsonBodyOf(large);
    expect(body).toBeInstanceOf(Blob);
    const expected = new TextEncoder().encode(JSON.stringify({ runs: many, ...info }));
    expect((body as Blob).size).toBe(expected.byteLength);
    expect(new Uint8Array(await (body as Blob).arrayBuffer())).toEqual(expected);

    expect(jsonBodyOf({ runs: items })).toBeUndefined();
    expect(jsonTextOf({ runs: items })).toBeUndefined();
  });

  it("writes no comma before an empty info", () => {
    const out = preSerializedList("workflows", ['{"id":"a"}'], {});
    expect(jsonTextOf(out)).toBe('{"workflows":[{"id":"a"}]}');
    expect(jsonTextOf(preSerializedList("workflows", [], {}))).toBe('{"workflows":[]}');
  });

  it("parses the items once, and drops the text when they are replaced", () => {
    const out = preSerializedList("runs", ['{"id":"a"}'], { page: 1 });
    expect(out.runs).toBe(out.runs);
    out.runs = [{ id: "z" } as never];
    expect(jsonTextOf(out)).toBeUndefined();
    expect(jsonBodyOf(out)).toBeUndefined();
    expect(JSON.stringify(out)).toBe('{"runs":[{"id":"z"}],"page":1}');
  });

  // With an accessor of its own closures per answer, every page's items outlived V8's young collections until a full
  // one (docs/benchmarks.md, "What a list kept alive"): answers share their accessors instead.
  it("gives every answer the same accessors, each reading its own text", () => {
    const a = preSerializedList("runs", ['{"id":"a"}'], { page: 1 });
    const b = preSerializedList("runs", ['{"id":"b"}'], { page: 1 });
    const accessor = (o: object, key = "runs") => Object.getOwnPropertyDescriptor(o, key)!;
    expect(accessor(a).get).toBe(accessor(b).get);
    expect(accessor(a).set).toBe(accessor(b).set);
    expect(accessor(a)).toMatchObject({ enumerable: true, configurable: true });
    expect(Object.getOwnPropertySymbols(a).every((s) => !Object.getOwnPropertyDescriptor(a, s)!.enumerable)).toBe(true);
    a.runs = [{ id: "z" } as never];
    expect(jsonTextOf(a)).toBeUndefined();
    expect(jsonTextOf(b)).toBe('{"runs":[{"id":"b"}],"page":1}');
    expect(b.runs).toStrictEqual([{ id: "b" }]);
    const w = answerOfText<{ workflow: object }>(["workflow"], '{"workflow":{"id":"w1"}}');
    const v = answerOfText<{ workflow: object }>(["workflow"], '{"workflow":{"id":"w2"}}');
    expect(accessor(w, "workflow").get).toBe(accessor(v, "workflow").get);
    expect([w.workflow, v.workflow]).toStrictEqual([{ id: "w1" }, { id: "w2" }]);
  });

  it("leaves the caller's array of texts as it was", () => {
    const texts = ['{"id":"a"}', '{"id":"b"}'];
    preSerializedList("runs", texts, { page: 1 });
    expect(texts).toEqual(['{"id":"a"}', '{"id":"b"}']);
  });
});

// An answer given by its JSON text alone (a workflow's, src/workflows/store.ts): the text is sent as it is, and the
// object reads as the text says.
describe("answerOfText", () => {
  const value = { workflow: { id: "w", tags: ["ü", "\u2028"] }, currentVersion: { config: { n: 1.5 } } };
  const text = JSON.stringify(value);

  it("reads as the object its text stands for, its keys in order, and is sent as the text", () => {
    const out = answerOfText<typeof value>(["workflow", "currentVersion"], text);
    expect(jsonTextOf(out)).toBe(text);
    expect(jsonBodyOf(out)).toBe(text);
    expect(out).toStrictEqual(value);
    expect(Object.keys(out)).toEqual(["workflow", "currentVersion"]);
    expect({ ...out, extra: true }).toStrictEqual({ ...value, extra: true });
    expect(jsonTextOf({ ...out })).toBeUndefined();
  });

  it("parses the text once, and drops it when a key is given another value", () => {
    const out = answerOfText<typeof value>(["workflow", "currentVersion"], text);
    expect(out.workflow).toBe(out.workflow);
    out.currentVersion = { config: { n: 2 } };
    expect(jsonTextOf(out)).toBeUndefined();
    expect(out.workflow).toStrictEqual(value.workflow);
    expect(JSON.stringify(out)).toBe(JSON.stringify({ ...value, currentVersion: { config: { n: 2 } } }));
  });
});
