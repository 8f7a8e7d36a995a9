// The probe Worker of `npm run bench`: the bundle under test (./index.js, the dry-run output) behind a thin
// wrapper that records every D1 call and queue send one request makes, and answers with that record instead
// of the response. The harness sends each endpoint's request here (twice: the second one, with the key cache
// warm, is the one reported) to learn the endpoint's D1 rows read, its round trips, and the exact statements
// the bare reference Worker then replays. It is never part of a timed measurement.
import worker from "./index.js";

/** The unwrapped D1 statement behind a recorded one (db.batch needs the real ones). */
const INNER = Symbol("inner");

const isRead = (sql) => /^\s*(select|with)\b/i.test(sql);

class Recorder {
  constructor() {
    this.calls = [];
    this.seq = 0;
    this.responded = false;
  }

  /** Runs one D1 call or queue send, noting when it started and ended (in call order) and D1's meta. */
  async track(call, run) {
    call.phase = this.responded ? "after-response" : "request";
    call.start = this.seq++;
    this.calls.push(call);
    try {
      const result = await run();
      if (call.kind === "d1" && result && typeof result === "object" && "meta" in result) call.meta = pickMeta(result.meta);
      if (call.kind === "batch") call.meta = result.map((r) => pickMeta(r.meta));
      return result;
    } catch (err) {
      call.error = String(err?.message ?? err);
      throw err;
    } finally {
      call.end = this.seq++;
    }
  }

  statement(stmt, sql, params) {
    const rec = this;
    const d1 = (method, args, run) => rec.track({ kind: "d1", method, args, sql, params }, run);
    return {
      [INNER]: stmt,
      sql,
      params,
      bind: (...values) => rec.statement(stmt.bind(...values), sql, values),
      first: (column) => d1("first", column === undefined ? [] : [column], () => stmt.first(column)),
      all: () => d1("all", [], () => stmt.all()),
      run: () => d1("run", [], () => stmt.run()),
      raw: (options) => d1("raw", options === undefined ? [] : [options], () => stmt.raw(options)),
    };
  }

  database(db) {
    const rec = this;
    return {
      prepare: (sql) => rec.statement(db.prepare(sql), sql, []),
      batch: (statements) =>
        rec.track({ kind: "batch", statements: statements.map((s) => ({ sql: s.sql, params: s.params })) }, () =>
          db.batch(statements.map((s) => s[INNER] ?? s)),
        ),
      exec: (sql) => rec.track({ kind: "d1", method: "exec", args: [], sql, params: [] }, () => db.exec(sql)),
      dump: () => db.dump(),
      withSession: (...args) => db.withSession(...args),
    };
  }

  queue(queue) {
    const rec = this;
    return {
      send: (body, options) => rec.track({ kind: "queue", method: "send", body, options }, () => queue.send(body, options)),
      sendBatch: (messages, options) =>
        rec.track({ kind: "queue", method: "sendBatch", messages, options }, () => queue.sendBatch(messages, options)),
    };
  }
}

function pickMeta(meta) {
  if (!meta) return null;
  return { rows_read: meta.rows_read ?? null, rows_written: meta.rows_written ?? null, changes: meta.changes ?? null };
}

/** first() and raw() give no meta: a read is run again with all() to learn its rows read. */
async function fillRowsRead(db, calls) {
  for (const call of calls) {
    if (call.kind !== "d1" || call.meta || call.error) continue;
    if (!isRead(call.sql)) continue;
    const again = await db.prepare(call.sql).bind(...call.params).all();
    call.meta = { ...pickMeta(again.meta), measuredBy: "rerun" };
  }
}

export default {
  async fetch(request, env, ctx) {
    const rec = new Recorder();
    const pending = [];
    const wrappedEnv = { ...env, DB: rec.database(env.DB), RUNS_QUEUE: rec.queue(env.RUNS_QUEUE) };
    const wrappedCtx = {
      waitUntil: (promise) => {
        pending.push(Promise.resolve(promise).catch(() => {}));
        ctx.waitUntil(promise);
      },
      passThroughOnException: () => ctx.passThroughOnException(),
      props: ctx.props,
    };
    const response = await worker.fetch(request, wrappedEnv, wrappedCtx);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const body = new TextDecoder().decode(bytes);
    rec.responded = true;
    await Promise.all(pending);
    await fillRowsRead(env.DB, rec.calls);
    let json = null;
    try {
      json = JSON.parse(body);
    } catch {
      // not JSON: the size is reported
    }
    return Response.json({
      status: response.status,
      contentType: response.headers.get("content-type"),
      headers: Object.fromEntries(response.headers),
      // As the Worker returned it (gzip bytes when it answered Content-Encoding: gzip).
      bodyBytes: bytes.byteLength,
      body: json,
      calls: rec.calls,
    });
  },
};
