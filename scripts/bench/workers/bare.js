// The bare reference Worker of `npm run bench`: for each endpoint, the same D1 statements (same SQL, same
// parameters, same D1 methods, same grouping into batches and concurrent calls) and queue sends the endpoint
// made for its data, as recorded by the probe Worker, with nothing around them: no routing, authentication,
// validation or mapping. It answers the D1 results as JSON, because any endpoint has to send its data.
//
//   PUT /__plan/<name>   body: the plan (scripts/bench/plan.ts) — the harness registers each plan once
//   GET /<name>          runs the plan
//
// Values listed in `fresh` (ids the endpoint generated, e.g. a dispatched run's id) are replaced by a new
// random UUID on every request, so replayed inserts do not collide.
const plans = new Map();

function substitute(value, fresh) {
  if (!fresh) return value;
  if (typeof value === "string") return fresh.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => substitute(v, fresh));
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = substitute(v, fresh);
    return out;
  }
  return value;
}

function bound(db, statement, fresh) {
  const stmt = db.prepare(statement.sql);
  return statement.params.length ? stmt.bind(...substitute(statement.params, fresh)) : stmt;
}

function runStep(step, env, fresh) {
  switch (step.kind) {
    case "d1": {
      const stmt = bound(env.DB, step, fresh);
      if (step.method === "first") return stmt.first(...step.args);
      if (step.method === "raw") return stmt.raw(...step.args);
      if (step.method === "run") return stmt.run();
      return stmt.all();
    }
    case "batch":
      return env.DB.batch(step.statements.map((s) => bound(env.DB, s, fresh)));
    case "queue":
      return step.method === "send"
        ? env.RUNS_QUEUE.send(substitute(step.body, fresh), step.options)
        : env.RUNS_QUEUE.sendBatch(substitute(step.messages, fresh), step.options);
    default:
      throw new Error(`unknown step kind ${step.kind}`);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "PUT" && url.pathname.startsWith("/__plan/")) {
      plans.set(decodeURIComponent(url.pathname.slice("/__plan/".length)), await request.json());
      return new Response(null, { status: 204 });
    }
    const plan = plans.get(decodeURIComponent(url.pathname.slice(1)));
    if (!plan) return new Response("no plan registered under this name", { status: 404 });
    const fresh = plan.fresh.length ? new Map(plan.fresh.map((v) => [v, crypto.randomUUID()])) : null;
    const results = [];
    for (const group of plan.groups) {
      results.push(...(await Promise.all(group.map((step) => runStep(step, env, fresh)))));
    }
    return Response.json(results);
  },
};
