/**
 * The API reference page's script, served by the Worker at `${API_BASE}/docs/app.js`.
 *
 * Plain browser JavaScript kept as a string so no bundler rule is needed. It fetches the live OpenAPI
 * document named by `<body data-openapi-url>` and builds the page with DOM calls only: every string from
 * the document or a response goes through `textContent`/`setAttribute`, never `innerHTML`.
 * It is wrapped in `String.raw` and must contain no backtick and no dollar-brace (write `\x60` in regexes);
 * `npm run lint:openapi` parses it.
 */
export const APP_JS = String.raw`(function () {
  "use strict";

  var METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
  var KEY_STORAGE = "armature-docs-api-key";
  var MAX_BODY_CHARS = 500000;
  var state = { doc: null, key: "", serverPath: "" };

  // ---- DOM helpers: the only way anything reaches the page -------------------------------------------

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(el, c); });
      return;
    }
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }

  /** h("a", { class: "x", href: "#y", onclick: fn }, children...) */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var v = attrs[name];
        if (v === undefined || v === null || v === false) return;
        if (name === "class") el.className = v;
        else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), v);
        else if (name === "href" && !/^[#\/]/.test(String(v))) return;
        else el.setAttribute(name, v === true ? "" : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  /** Text with \x60code\x60 spans, as nodes. */
  function inline(text) {
    return String(text).split(/\x60([^\x60]*)\x60/).map(function (part, i) {
      return i % 2 === 1 ? h("code", null, part) : part;
    });
  }

  /** A description: paragraphs split on blank lines, code spans kept. */
  function prose(text, cls) {
    if (!text) return null;
    return h("div", { class: "prose " + (cls || "") }, String(text).split(/\n\s*\n/).map(function (p) {
      return h("p", null, inline(p));
    }));
  }

  function anchor(kind, name) {
    return kind + "-" + String(name).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  // ---- OpenAPI helpers -----------------------------------------------------------------------------

  function lookup(ref) {
    if (typeof ref !== "string" || ref.slice(0, 2) !== "#/") return undefined;
    return ref.slice(2).split("/").reduce(function (node, key) {
      return node && typeof node === "object" ? node[key.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined;
    }, state.doc);
  }

  function refName(ref) {
    return String(ref).split("/").pop();
  }

  /** Follows $refs: { schema, name } where name is the last component name met. */
  function resolve(schema) {
    var name = null;
    for (var guard = 0; schema && schema.$ref && guard < 32; guard++) {
      name = refName(schema.$ref);
      schema = lookup(schema.$ref);
    }
    return { schema: schema || {}, name: name };
  }

  /** An object schema with its allOf parts folded in. */
  function flatten(schema) {
    var s = resolve(schema).schema;
    if (!Array.isArray(s.allOf)) return s;
    var out = { properties: {}, required: [] };
    Object.keys(s).forEach(function (k) { if (k !== "allOf") out[k] = s[k]; });
    out.properties = Object.assign({}, s.properties || {});
    out.required = (s.required || []).slice();
    s.allOf.forEach(function (part) {
      var p = flatten(part);
      Object.keys(p).forEach(function (k) {
        if (k === "properties") Object.assign(out.properties, p.properties);
        else if (k === "required") out.required = out.required.concat(p.required);
        else if (!(k in out) && k !== "description") out[k] = p[k];
      });
      if (!out.description && p.description && s.allOf.length === 1) out.description = p.description;
    });
    if (Object.keys(out.properties).length === 0) delete out.properties;
    return out;
  }

  function typeLabel(schema, depth) {
    depth = depth || 0;
    if (depth > 6) return "…";
    var r = resolve(schema);
    var s = r.schema;
    var label;
    if (r.name) label = r.name;
    else if (Array.isArray(s.allOf) && s.allOf.length === 1) label = typeLabel(s.allOf[0], depth + 1);
    else if (Array.isArray(s.allOf)) label = "object";
    else if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
      label = (s.anyOf || s.oneOf).map(function (x) { return typeLabel(x, depth + 1); }).join(" | ");
    } else if (s.type === "array") label = "array of " + typeLabel(s.items || {}, depth + 1);
    else if (s.type === "object" && s.additionalProperties && !s.properties) {
      label = "map of " + (s.additionalProperties === true ? "any" : typeLabel(s.additionalProperties, depth + 1));
    } else if (s.type) label = s.type + (s.format ? " (" + s.format + ")" : "");
    else label = "any";
    if (s.nullable && !/\| null$/.test(label)) label += " | null";
    return label;
  }

  function constraints(s) {
    var out = [];
    var add = function (label, value) { out.push(h("span", { class: "constraint" }, label + " ", h("code", null, value))); };
    if (Array.isArray(s.enum)) {
      out.push(h("span", { class: "constraint" }, "one of ", s.enum.map(function (v, i) {
        return [i ? " " : "", h("code", null, JSON.stringify(v))];
      })));
    }
    if (s.minimum !== undefined) add(s.exclusiveMinimum ? ">" : "≥", String(s.minimum));
    if (s.maximum !== undefined) add(s.exclusiveMaximum ? "<" : "≤", String(s.maximum));
    if (s.minLength !== undefined) add("min length", String(s.minLength));
    if (s.maxLength !== undefined) add("max length", String(s.maxLength));
    if (s.minItems !== undefined) add("min items", String(s.minItems));
    if (s.maxItems !== undefined) add("max items", String(s.maxItems));
    if (s.pattern !== undefined) add("pattern", String(s.pattern));
    if (s.default !== undefined) add("default", JSON.stringify(s.default));
    if (s.example !== undefined) add("example", JSON.stringify(s.example));
    return out.length ? h("div", { class: "constraints" }, out) : null;
  }

  /** True when a schema has structure worth expanding (properties, items with properties, variants). */
  function hasChildren(schema) {
    var s = flatten(schema);
    if (s.properties) return true;
    if (s.type === "array") return hasChildren(s.items || {});
    if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) return true;
    if (s.additionalProperties && typeof s.additionalProperties === "object") return hasChildren(s.additionalProperties);
    return false;
  }

  /** A readable tree of a schema: properties with type, required, constraints and description. */
  function schemaTree(schema, depth, seen) {
    depth = depth || 0;
    seen = seen || [];
    var r = resolve(schema);
    if (r.name && seen.indexOf(r.name) >= 0) return h("div", { class: "schema-note" }, "↻ " + r.name + " (see above)");
    if (depth > 8) return h("div", { class: "schema-note" }, "…");
    var nextSeen = r.name ? seen.concat([r.name]) : seen;
    var s = flatten(schema);
    if (s.type === "array") return schemaTree(s.items || {}, depth, nextSeen);
    var variants = s.anyOf || s.oneOf;
    if (Array.isArray(variants)) {
      return h("div", { class: "variants" }, h("div", { class: "schema-note" }, s.oneOf ? "Exactly one of:" : "Any of:"),
        h("ol", null, variants.map(function (v) {
          return h("li", null, h("span", { class: "type" }, typeLabel(v)), hasChildren(v) ? schemaTree(v, depth + 1, nextSeen) : null);
        })));
    }
    if (s.properties) {
      var required = s.required || [];
      return h("ul", { class: "props" }, Object.keys(s.properties).map(function (name) {
        var prop = s.properties[name];
        var ps = resolve(prop).schema;
        var nested = hasChildren(prop) ? schemaTree(prop, depth + 1, nextSeen) : null;
        var head = [
          h("span", { class: "prop-name" }, name),
          h("span", { class: "type" }, typeLabel(prop)),
          required.indexOf(name) >= 0 ? h("span", { class: "required" }, "required") : h("span", { class: "optional" }, "optional"),
        ];
        var details = [prose(prop.description || ps.description), constraints(ps)];
        if (!nested) return h("li", null, h("div", { class: "prop-head" }, head), details);
        return h("li", null, h("details", { class: "nested", open: depth < 1 }, h("summary", null, h("span", { class: "prop-head" }, head)), details, nested));
      }), s.additionalProperties && typeof s.additionalProperties === "object" && Object.keys(s.additionalProperties).length
        ? h("li", null, h("div", { class: "prop-head" }, h("span", { class: "prop-name" }, "*"), h("span", { class: "type" }, typeLabel(s.additionalProperties))))
        : null);
    }
    if (s.additionalProperties && typeof s.additionalProperties === "object" && hasChildren(s.additionalProperties)) {
      return h("div", null, h("div", { class: "schema-note" }, "Each value:"), schemaTree(s.additionalProperties, depth + 1, nextSeen));
    }
    return h("div", { class: "schema-leaf" }, h("span", { class: "type" }, typeLabel(schema)), constraints(s));
  }

  /** A schema block: its type, its description and its tree. */
  function schemaBlock(schema) {
    var r = resolve(schema);
    var s = flatten(schema);
    return h("div", { class: "schema" },
      h("div", { class: "schema-type" }, r.name
        ? h("a", { href: "#" + anchor("schema", r.name), class: "type", title: "Show the " + r.name + " schema" }, typeLabel(schema))
        : h("span", { class: "type" }, typeLabel(schema))),
      r.name ? null : prose(s.description),
      hasChildren(schema) ? schemaTree(schema) : constraints(s));
  }

  /** An example value for a schema, for the Try it body. */
  function sample(schema, depth) {
    depth = depth || 0;
    var s = flatten(schema);
    if (s.example !== undefined) return s.example;
    if (s.default !== undefined) return s.default;
    if (Array.isArray(s.enum)) return s.enum[0];
    if (depth > 5) return null;
    var variants = s.anyOf || s.oneOf;
    if (Array.isArray(variants) && variants.length) return sample(variants[0], depth + 1);
    if (s.type === "array") return [sample(s.items || {}, depth + 1)];
    if (s.type === "object" || s.properties) {
      var out = {};
      var required = s.required || [];
      Object.keys(s.properties || {}).forEach(function (name) {
        if (required.indexOf(name) >= 0 || depth === 0) out[name] = sample(s.properties[name], depth + 1);
      });
      return out;
    }
    if (s.type === "integer" || s.type === "number") return s.minimum !== undefined ? s.minimum : 0;
    if (s.type === "boolean") return false;
    if (s.type === "string") {
      if (s.format === "uuid") return "00000000-0000-4000-8000-000000000000";
      if (s.format === "date-time") return new Date().toISOString();
      if (s.format === "date") return new Date().toISOString().slice(0, 10);
      var text = "string";
      while (text.length < (s.minLength || 0)) text += "x";
      return s.maxLength !== undefined ? text.slice(0, s.maxLength) : text;
    }
    return null;
  }

  function operations() {
    var out = [];
    var paths = state.doc.paths || {};
    Object.keys(paths).forEach(function (path) {
      var item = paths[path] || {};
      METHODS.forEach(function (method) {
        if (!item[method]) return;
        var op = item[method];
        var params = (item.parameters || []).concat(op.parameters || []).map(function (p) { return resolve(p).schema; });
        out.push({ method: method, path: path, op: op, params: params, id: op.operationId || method + " " + path });
      });
    });
    return out;
  }

  function groups(ops) {
    var names = (state.doc.tags || []).map(function (t) { return t.name; });
    ops.forEach(function (o) {
      (o.op.tags && o.op.tags.length ? o.op.tags : ["other"]).forEach(function (t) { if (names.indexOf(t) < 0) names.push(t); });
    });
    return names.map(function (name) {
      var tag = (state.doc.tags || []).filter(function (t) { return t.name === name; })[0] || { name: name };
      return { tag: tag, ops: ops.filter(function (o) { return (o.op.tags && o.op.tags.length ? o.op.tags : ["other"]).indexOf(name) >= 0; }) };
    }).filter(function (g) { return g.ops.length; });
  }

  function methodBadge(method) {
    return h("span", { class: "method method-" + method }, method.toUpperCase());
  }

  // ---- Authorization -------------------------------------------------------------------------------

  function setKey(key, remember) {
    state.key = key;
    try {
      if (key && remember) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (e) { /* storage disabled: memory only */ }
    renderAuthStatus();
  }

  function renderAuthStatus() {
    var status = document.getElementById("auth-status");
    if (!status) return;
    clear(status);
    if (state.key) {
      status.className = "auth-status ok";
      append(status, ["Authorized: ", h("code", null, state.key.slice(0, 8) + "…")]);
    } else {
      status.className = "auth-status";
      append(status, "Not authorized: requests go out without a key.");
    }
  }

  function authBox() {
    var input = h("input", { id: "api-key", type: "password", autocomplete: "off", spellcheck: "false", placeholder: "amt_<key-id>_<secret>", "aria-label": "API key" });
    var remember = h("input", { id: "api-key-remember", type: "checkbox" });
    var form = h("form", {
      class: "auth",
      onsubmit: function (e) {
        e.preventDefault();
        setKey(input.value.trim(), remember.checked);
        input.value = "";
      },
    },
      h("label", { for: "api-key", class: "auth-label" }, "API key"),
      input,
      h("button", { type: "submit" }, "Authorize"),
      h("button", { type: "button", class: "secondary", onclick: function () { setKey("", false); remember.checked = false; } }, "Forget"),
      h("label", { class: "remember", title: "Kept in sessionStorage until this tab closes; otherwise only in memory." }, remember, " keep for this tab"),
      h("span", { id: "auth-status", class: "auth-status", role: "status" }));
    try {
      var saved = sessionStorage.getItem(KEY_STORAGE);
      if (saved) {
        state.key = saved;
        remember.checked = true;
      }
    } catch (e) { /* storage disabled */ }
    return form;
  }

  // ---- Try it --------------------------------------------------------------------------------------

  function field(param) {
    var s = resolve(param.schema || {}).schema;
    var id = anchor("try", param.in + "-" + param.name + "-" + Math.random().toString(36).slice(2, 8));
    var input;
    if (Array.isArray(s.enum)) {
      input = h("select", { id: id, name: param.name },
        param.required ? null : h("option", { value: "" }, "(not set)"),
        s.enum.map(function (v) { return h("option", { value: String(v) }, String(v)); }));
    } else {
      input = h("input", {
        id: id,
        name: param.name,
        type: "text",
        required: !!param.required,
        placeholder: s.example !== undefined ? String(s.example) : s.default !== undefined ? String(s.default) : typeLabel(s),
      });
    }
    input.dataset.in = param.in;
    input.dataset.name = param.name;
    return h("div", { class: "field" }, h("label", { for: id }, param.name, " ", h("span", { class: "where" }, param.in), param.required ? h("span", { class: "required" }, "required") : null), input);
  }

  function tryForm(o) {
    var params = o.params.filter(function (p) { return p.in === "path" || p.in === "query" || p.in === "header"; });
    var body = o.op.requestBody ? resolve(o.op.requestBody).schema : null;
    var bodySchema = body && body.content && body.content["application/json"] ? body.content["application/json"].schema : null;
    var textarea = bodySchema ? h("textarea", { class: "body-input", rows: "10", spellcheck: "false", "aria-label": "Request body (JSON)" }) : null;
    if (textarea) textarea.value = JSON.stringify(sample(bodySchema), null, 2);
    var result = h("div", { class: "result", "aria-live": "polite" });
    var form = h("form", {
      class: "try-form",
      onsubmit: function (e) {
        e.preventDefault();
        send(o, form, textarea, result);
      },
    },
      params.length ? h("div", { class: "fields" }, params.map(field)) : h("p", { class: "muted" }, "No parameters."),
      textarea ? h("div", { class: "field" }, h("label", null, "Body ", h("span", { class: "where" }, "application/json")), textarea) : null,
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Send " + o.method.toUpperCase() + " " + o.path),
        state.key ? null : h("span", { class: "muted" }, " (no API key set: expect 401)")),
      result);
    return form;
  }

  function send(o, form, textarea, result) {
    var path = o.path;
    var query = new URLSearchParams();
    var headers = { accept: "application/json" };
    var missing = [];
    Array.prototype.forEach.call(form.querySelectorAll("[data-in]"), function (input) {
      var value = input.value;
      var where = input.dataset.in;
      var name = input.dataset.name;
      if (where === "path") {
        if (!value) missing.push(name);
        path = path.split("{" + name + "}").join(encodeURIComponent(value));
      } else if (value !== "") {
        if (where === "query") query.append(name, value);
        else headers[name.toLowerCase()] = value;
      }
    });
    clear(result);
    if (missing.length) {
      append(result, h("p", { class: "error" }, "Fill in: " + missing.join(", ")));
      return;
    }
    var init = { method: o.method.toUpperCase(), headers: headers, credentials: "omit", cache: "no-store", redirect: "manual" };
    if (textarea) {
      try {
        JSON.parse(textarea.value);
      } catch (err) {
        append(result, h("p", { class: "error" }, "The body is not valid JSON: " + err.message));
        return;
      }
      init.body = textarea.value;
      headers["content-type"] = "application/json";
    }
    if (state.key) headers.authorization = "Bearer " + state.key;
    var qs = query.toString();
    var url = location.origin + state.serverPath + path + (qs ? "?" + qs : "");
    append(result, h("pre", { class: "curl" }, curl(init, url)));
    var started = performance.now();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    fetch(url, init).then(function (res) {
      return res.text().then(function (text) { showResponse(result, res, text, performance.now() - started); });
    }).catch(function (err) {
      append(result, h("p", { class: "error" }, "Request failed: " + err.message));
    }).then(function () { button.disabled = false; });
  }

  function curl(init, url) {
    var quote = function (s) { return "'" + String(s).split("'").join("'\\''") + "'"; };
    var lines = ["curl -X " + init.method + " " + quote(url)];
    Object.keys(init.headers).forEach(function (name) {
      if (name === "authorization") lines.push("  -H \"authorization: Bearer $ARMATURE_API_KEY\"");
      else lines.push("  -H " + quote(name + ": " + init.headers[name]));
    });
    if (init.body !== undefined) lines.push("  --data " + quote(JSON.stringify(JSON.parse(init.body))));
    return lines.join(" \\\n");
  }

  function showResponse(result, res, text, ms) {
    var klass = "status s" + String(res.status).charAt(0) + "xx";
    var headerLines = [];
    res.headers.forEach(function (value, name) { headerLines.push(name + ": " + value); });
    var shown = text;
    try {
      if (text) shown = JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) { /* not JSON: as is */ }
    if (shown.length > MAX_BODY_CHARS) shown = shown.slice(0, MAX_BODY_CHARS) + "\n… (" + (shown.length - MAX_BODY_CHARS) + " more characters)";
    append(result, [
      h("div", { class: "status-line" }, h("span", { class: klass }, String(res.status) + (res.statusText ? " " + res.statusText : "")),
        h("span", { class: "muted" }, " " + Math.round(ms) + " ms")),
      h("details", { class: "headers" }, h("summary", null, "Response headers (" + headerLines.length + ")"), h("pre", null, headerLines.sort().join("\n"))),
      h("pre", { class: "response-body" }, shown || "(empty body)"),
    ]);
  }

  // ---- Page ----------------------------------------------------------------------------------------

  function parametersTable(params) {
    if (!params.length) return null;
    return h("table", { class: "params" },
      h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "In"), h("th", null, "Type"), h("th", null, "Description"))),
      h("tbody", null, params.map(function (p) {
        var s = resolve(p.schema || {}).schema;
        return h("tr", null,
          h("td", null, h("code", null, p.name), p.required ? h("span", { class: "required" }, "required") : null),
          h("td", null, p.in),
          h("td", null, h("span", { class: "type" }, typeLabel(p.schema || {}))),
          h("td", null, prose(p.description || s.description), constraints(s)));
      })));
  }

  function responsesBlock(responses) {
    return h("div", { class: "responses" }, Object.keys(responses || {}).map(function (status) {
      var r = resolve(responses[status]).schema;
      var content = r.content && r.content["application/json"];
      var headers = r.headers ? Object.keys(r.headers) : [];
      var ok = /^2/.test(status);
      return h("details", { class: "response", open: ok },
        h("summary", null, h("span", { class: "status s" + status.charAt(0) + "xx" }, status), " ", inline(r.description || "")),
        headers.length ? h("div", { class: "muted" }, "Headers: ", headers.map(function (name, i) { return [i ? ", " : "", h("code", null, name)]; })) : null,
        content && content.schema ? schemaBlock(content.schema) : h("div", { class: "muted" }, "No body."));
    }));
  }

  function operationSection(o) {
    var body = o.op.requestBody ? resolve(o.op.requestBody).schema : null;
    var bodySchema = body && body.content && body.content["application/json"] ? body.content["application/json"].schema : null;
    var tryIt = h("details", { class: "try" }, h("summary", null, "Try it"));
    tryIt.addEventListener("toggle", function () {
      if (tryIt.open && tryIt.childNodes.length === 1) append(tryIt, tryForm(o));
    });
    return h("section", { class: "operation", id: anchor("op", o.id) },
      h("h3", null, methodBadge(o.method), h("span", { class: "path" }, o.path)),
      o.op.summary ? h("p", { class: "summary" }, inline(o.op.summary)) : null,
      prose(o.op.description),
      h("div", { class: "meta" }, h("span", null, "operationId ", h("code", null, o.op.operationId || "—")),
        (o.op.security || state.doc.security || []).length ? h("span", null, "auth ", h("code", null, "bearerAuth")) : h("span", null, "no auth")),
      o.params.length ? [h("h4", null, "Parameters"), parametersTable(o.params)] : null,
      bodySchema ? [h("h4", null, "Request body", body.required ? h("span", { class: "required" }, "required") : null), schemaBlock(bodySchema)] : null,
      h("h4", null, "Responses"),
      responsesBlock(o.op.responses),
      tryIt);
  }

  function render() {
    var doc = state.doc;
    var ops = operations();
    var grouped = groups(ops);
    var server = (doc.servers && doc.servers[0] && doc.servers[0].url) || "";
    try {
      state.serverPath = new URL(server, location.href).pathname.replace(/\/$/, "");
    } catch (e) {
      state.serverPath = "";
    }
    document.title = (doc.info && doc.info.title ? doc.info.title : "API") + " reference";

    var filter = h("input", { type: "search", class: "filter", placeholder: "Filter operations", "aria-label": "Filter operations" });
    var nav = clear(document.getElementById("sidebar"));
    var navGroups = grouped.map(function (g) {
      return h("div", { class: "nav-group" }, h("a", { class: "nav-tag", href: "#" + anchor("tag", g.tag.name) }, g.tag.name),
        h("ul", null, g.ops.map(function (o) {
          var li = h("li", null, h("a", { href: "#" + anchor("op", o.id), title: o.op.summary || o.id }, methodBadge(o.method), h("span", { class: "nav-path" }, o.path)));
          li.dataset.search = [o.method, o.path, o.op.summary || "", o.op.operationId || ""].join(" ").toLowerCase();
          return li;
        })));
    });
    var schemaNames = Object.keys((doc.components && doc.components.schemas) || {});
    if (schemaNames.length) {
      navGroups.push(h("div", { class: "nav-group" }, h("a", { class: "nav-tag", href: "#schemas" }, "schemas"),
        h("ul", null, schemaNames.map(function (name) {
          var li = h("li", null, h("a", { href: "#" + anchor("schema", name) }, h("span", { class: "nav-path" }, name)));
          li.dataset.search = name.toLowerCase();
          return li;
        }))));
    }
    append(nav, [filter, navGroups]);
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      navGroups.forEach(function (group) {
        var visible = 0;
        Array.prototype.forEach.call(group.querySelectorAll("li"), function (li) {
          var show = !q || li.dataset.search.indexOf(q) >= 0;
          li.hidden = !show;
          if (show) visible++;
        });
        group.hidden = visible === 0;
      });
    });

    var main = clear(document.getElementById("content"));
    append(main, [
      h("header", { class: "intro" },
        h("h1", null, doc.info ? doc.info.title : "API", doc.info && doc.info.version ? h("span", { class: "version" }, "v" + doc.info.version) : null),
        prose(doc.info && doc.info.description),
        h("p", { class: "muted" }, "Server ", h("code", null, server), " · OpenAPI ", h("code", null, doc.openapi || "?"), " · ",
          h("a", { href: state.serverPath + "/openapi" }, "raw document")),
        h("p", { class: "muted" }, "Every operation needs an API key: ", h("code", null, "Authorization: Bearer amt_<key-id>_<secret>"),
          ". Set it above to use Try it; it stays in this tab.")),
      grouped.map(function (g) {
        return h("section", { class: "tag", id: anchor("tag", g.tag.name) },
          h("h2", null, g.tag.name), prose(g.tag.description),
          g.ops.map(operationSection));
      }),
      schemaNames.length ? h("section", { class: "tag", id: "schemas" }, h("h2", null, "Schemas"),
        schemaNames.map(function (name) {
          var schema = doc.components.schemas[name];
          return h("details", { class: "component", id: anchor("schema", name) },
            h("summary", null, h("span", { class: "component-name" }, name), " ", h("span", { class: "type" }, typeLabel(schema))),
            prose(schema.description), hasChildren(schema) ? schemaTree(schema, 0, [name]) : constraints(schema));
        })) : null,
    ]);
    renderAuthStatus();
    if (location.hash) {
      var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target) {
        if (target.tagName === "DETAILS") target.open = true;
        target.scrollIntoView();
      }
    }
  }

  function start() {
    var slot = document.getElementById("auth-slot");
    if (slot) append(clear(slot), authBox());
    renderAuthStatus();
    var url = document.body.getAttribute("data-openapi-url");
    fetch(url, { headers: { accept: "application/json" }, credentials: "omit", cache: "no-store" })
      .then(function (res) {
        if (!res.ok) throw new Error("GET " + url + " answered " + res.status);
        return res.json();
      })
      .then(function (doc) {
        state.doc = doc;
        render();
      })
      .catch(function (err) {
        append(clear(document.getElementById("content")), h("p", { class: "error" }, "Could not load the API description: " + err.message));
      });
    window.addEventListener("hashchange", function () {
      var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target && target.tagName === "DETAILS") target.open = true;
    });
  }

  start();
})();
`;
