import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sqlInt, sqlIntOrNull, sqlText } from "../../src/admin/sql";

describe("SQL literals for wrangler d1 execute", () => {
  it("round-trips any text through SQLite unchanged", async () => {
    const samples = [
      "",
      "plain",
      "O'Brien",
      "''",
      "'; DROP TABLE organizations; --",
      'double "quotes"',
      "back\\slash\\'",
      "/* comment */ -- line",
      "$$ dollar $tag$",
      "semi;colon",
      "?1 :name @p $x",
      "tab\tnew\nline\r",
      "unicode: ünï 🚀 中文 \u202e",
      "x".repeat(5000),
    ];
    for (const value of samples) {
      const row = await env.DB.prepare(`SELECT ${sqlText(value)} AS v`).first<{ v: string }>();
      expect(row!.v, JSON.stringify(value)).toBe(value);
    }
  });

  it("refuses text that cannot travel intact", () => {
    expect(() => sqlText("a\0b")).toThrow(RangeError);
    expect(() => sqlText("lone \ud800 surrogate")).toThrow(RangeError);
    expect(() => sqlText(42 as unknown as string)).toThrow(TypeError);
  });

  it("writes only safe integers", async () => {
    expect(sqlInt(0)).toBe("0");
    expect(sqlInt(-5)).toBe("-5");
    expect(sqlInt(1_795_000_000_000)).toBe("1795000000000");
    expect(sqlIntOrNull(null)).toBe("NULL");
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "1; DROP" as unknown as number]) {
      expect(() => sqlInt(bad), String(bad)).toThrow(RangeError);
    }
    const row = await env.DB.prepare(`SELECT ${sqlInt(Number.MAX_SAFE_INTEGER)} AS v`).first<{ v: number }>();
    expect(row!.v).toBe(Number.MAX_SAFE_INTEGER);
  });
});
