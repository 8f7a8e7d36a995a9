import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/context";
import { createDb } from "../../src/db/client";

describe("createDb", () => {
  it("builds one client per D1 binding and isolate, shared by every context", () => {
    expect(createDb(env.DB)).toBe(createDb(env.DB));
    expect(createContext(env, undefined).db).toBe(createContext(env, undefined).db);
    expect(createContext(env, undefined).db).toBe(createDb(env.DB));
  });

  it("gives another binding object its own client", () => {
    const wrapped = Object.create(env.DB) as D1Database;
    expect(createDb(wrapped)).not.toBe(createDb(env.DB));
    expect(createDb(wrapped)).toBe(createDb(wrapped));
  });
});
