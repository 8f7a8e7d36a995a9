// The static reference Worker of `npm run bench`: for a scenario whose answer is the same bytes every time
// (GET /openapi), that very answer — status, headers and the bytes on the wire (the gzip body as it is), as
// captured once from the armature Worker — served from a module-level buffer with nothing around it: what the
// runtime itself costs for such a response.
//
//   PUT /__response/<name>   body: the bytes; header x-bench-response: {"status": …, "headers": {…}}
//   GET /<name>              answers them
const responses = new Map();

export default {
  async fetch(request) {
    const url = request.url;
    const path = url.slice(url.indexOf("/", url.indexOf("://") + 3));
    if (request.method === "PUT" && path.startsWith("/__response/")) {
      const { status, headers } = JSON.parse(request.headers.get("x-bench-response"));
      const body = new Uint8Array(await request.arrayBuffer());
      // "manual": a gzip body is sent as it is, as the armature Worker does (encodeBody: "manual").
      responses.set(`/${path.slice("/__response/".length)}`, { body: body.byteLength ? body : null, init: { status, headers, encodeBody: "manual" } });
      return new Response(null, { status: 204 });
    }
    const response = responses.get(path);
    if (!response) return new Response("no response registered under this name", { status: 404 });
    return new Response(response.body, response.init);
  },
};
