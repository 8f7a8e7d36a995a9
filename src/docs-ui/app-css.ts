/** The API reference page's stylesheet, served by the Worker at `${API_BASE}/docs/app.css`. No external fonts or images. */
export const APP_CSS = String.raw`:root {
  --bg: #ffffff;
  --bg-soft: #f6f7f9;
  --bg-code: #f0f2f5;
  --fg: #1b1f24;
  --fg-muted: #5b6472;
  --border: #dde1e7;
  --accent: #4f46e5;
  --ok: #15803d;
  --warn: #b45309;
  --err: #b91c1c;
  --get: #2563eb;
  --post: #15803d;
  --put: #7c3aed;
  --patch: #c2410c;
  --delete: #b91c1c;
  --radius: 6px;
  --sidebar: 300px;
  --topbar: 56px;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418;
    --bg-soft: #181c22;
    --bg-code: #1f252d;
    --fg: #e6e9ee;
    --fg-muted: #9aa4b2;
    --border: #2c333d;
    --accent: #8b85ff;
    --ok: #4ade80;
    --warn: #fbbf24;
    --err: #f87171;
    --get: #60a5fa;
    --post: #4ade80;
    --put: #c4b5fd;
    --patch: #fb923c;
    --delete: #f87171;
  }
}
* { box-sizing: border-box; }
html { scroll-padding-top: calc(var(--topbar) + 12px); }
body {
  margin: 0;
  background: var(--bg);
  color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
code, pre, .path, .nav-path, .type, .prop-name, textarea, .method {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
}
code { background: var(--bg-code); border-radius: 4px; padding: 0 4px; font-size: 0.92em; }
pre { background: var(--bg-code); border-radius: var(--radius); padding: 10px 12px; overflow: auto; font-size: 12.5px; margin: 8px 0; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
[hidden] { display: none !important; }

.topbar {
  position: sticky; top: 0; z-index: 10;
  display: flex; align-items: center; gap: 16px;
  min-height: var(--topbar); padding: 8px 20px;
  background: var(--bg); border-bottom: 1px solid var(--border);
}
.brand { font-weight: 650; font-size: 15px; white-space: nowrap; }
.brand span { color: var(--fg-muted); font-weight: 400; }
#auth-slot { margin-left: auto; }
.auth { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; justify-content: flex-end; }
.auth-label { font-weight: 600; }
.auth input[type=password] { width: 280px; }
.remember { color: var(--fg-muted); font-size: 12.5px; display: inline-flex; align-items: center; gap: 4px; }
.auth-status { color: var(--fg-muted); font-size: 12.5px; }
.auth-status.ok { color: var(--ok); }

input, select, textarea, button {
  font: inherit; color: inherit;
  border: 1px solid var(--border); border-radius: var(--radius);
  background: var(--bg); padding: 5px 8px;
}
input:focus, select:focus, textarea:focus { outline: 2px solid var(--accent); outline-offset: -1px; }
button { background: var(--accent); border-color: var(--accent); color: #fff; cursor: pointer; font-weight: 600; }
button.secondary { background: transparent; color: var(--fg); border-color: var(--border); }
button:disabled { opacity: 0.6; cursor: progress; }

.layout { display: grid; grid-template-columns: var(--sidebar) minmax(0, 1fr); }
#sidebar {
  position: sticky; top: var(--topbar); align-self: start;
  height: calc(100vh - var(--topbar)); overflow: auto;
  padding: 12px; border-right: 1px solid var(--border); background: var(--bg-soft);
}
.filter { width: 100%; margin-bottom: 8px; }
.nav-group { margin: 10px 0 4px; }
.nav-tag { display: block; font-weight: 650; color: var(--fg); padding: 2px 6px; }
.nav-group ul { list-style: none; margin: 2px 0 0; padding: 0; }
.nav-group li a {
  display: flex; align-items: baseline; gap: 6px;
  padding: 3px 6px; border-radius: 4px; color: var(--fg);
}
.nav-group li a:hover { background: var(--bg-code); text-decoration: none; }
.nav-path { font-size: 12.5px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.nav-group .method { min-width: 46px; font-size: 10px; }

#content { padding: 24px 32px 80px; max-width: 1040px; }
.loading, .muted { color: var(--fg-muted); }
.error { color: var(--err); font-weight: 600; }
.intro h1 { margin: 0 0 6px; font-size: 26px; }
.version { font-size: 13px; color: var(--fg-muted); font-weight: 500; margin-left: 10px; vertical-align: middle; }
.prose p { margin: 6px 0; }
section.tag { margin-top: 36px; }
section.tag > h2 { font-size: 20px; margin: 0 0 4px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
.operation { margin: 18px 0; padding: 16px 18px; border: 1px solid var(--border); border-radius: 8px; background: var(--bg); }
.operation h3 { display: flex; align-items: center; gap: 10px; margin: 0; font-size: 16px; }
.operation h4 { margin: 16px 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: 0.04em; color: var(--fg-muted); }
.path { font-weight: 600; word-break: break-all; }
.summary { margin: 6px 0 0; font-weight: 500; }
.meta { display: flex; gap: 16px; color: var(--fg-muted); font-size: 12.5px; margin-top: 6px; }

.method {
  display: inline-block; min-width: 58px; text-align: center;
  padding: 1px 6px; border-radius: 4px; font-size: 11px; font-weight: 700; letter-spacing: 0.03em;
  color: var(--bg); background: var(--fg-muted);
}
.method-get { background: var(--get); }
.method-post { background: var(--post); }
.method-put { background: var(--put); }
.method-patch { background: var(--patch); }
.method-delete { background: var(--delete); }

.required { color: var(--err); font-size: 11px; margin-left: 6px; font-weight: 600; }
.optional { color: var(--fg-muted); font-size: 11px; margin-left: 6px; }
.where { color: var(--fg-muted); font-size: 11px; }
.type { color: var(--accent); font-size: 12.5px; }
.constraints { display: flex; flex-wrap: wrap; gap: 4px 12px; color: var(--fg-muted); font-size: 12px; margin: 2px 0; }

table.params { width: 100%; border-collapse: collapse; font-size: 13px; }
table.params th { text-align: left; color: var(--fg-muted); font-weight: 600; border-bottom: 1px solid var(--border); padding: 4px 8px; }
table.params td { border-bottom: 1px solid var(--border); padding: 6px 8px; vertical-align: top; }
table.params td .prose p { margin: 0; }

.schema { border-left: 3px solid var(--border); padding: 2px 0 2px 12px; margin: 4px 0; }
.schema-type { margin-bottom: 4px; }
.schema-note { color: var(--fg-muted); font-size: 12.5px; }
ul.props { list-style: none; margin: 0; padding: 0; }
ul.props > li { padding: 6px 0; border-top: 1px dashed var(--border); }
ul.props > li:first-child { border-top: 0; }
ul.props ul.props, ul.props .variants { margin-left: 16px; }
.prop-head { display: inline-flex; flex-wrap: wrap; align-items: baseline; gap: 8px; }
.prop-name { font-weight: 600; }
ul.props .prose p { margin: 2px 0; color: var(--fg-muted); }
details > summary { cursor: pointer; }
.variants ol { margin: 4px 0; padding-left: 20px; }

.responses { display: flex; flex-direction: column; gap: 4px; }
details.response { border: 1px solid var(--border); border-radius: var(--radius); padding: 6px 10px; }
details.response[open] > summary { margin-bottom: 6px; }
.status { font-weight: 700; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.s2xx { color: var(--ok); }
.s3xx { color: var(--accent); }
.s4xx { color: var(--warn); }
.s5xx { color: var(--err); }

details.try { margin-top: 14px; border: 1px solid var(--accent); border-radius: var(--radius); padding: 8px 12px; background: var(--bg-soft); }
details.try > summary { font-weight: 650; color: var(--accent); }
.try-form { margin-top: 10px; }
.fields { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px; }
.field { display: flex; flex-direction: column; gap: 3px; margin-bottom: 8px; }
.field label { font-size: 12.5px; font-weight: 600; display: flex; gap: 6px; align-items: baseline; }
.body-input { width: 100%; font-size: 12.5px; }
.actions { display: flex; align-items: center; gap: 8px; margin: 6px 0; }
.result:empty { display: none; }
.result { margin-top: 10px; }
.status-line { font-size: 14px; }
.response-body { max-height: 480px; }
.curl { color: var(--fg-muted); }

details.component { border-bottom: 1px solid var(--border); padding: 6px 0; }
.component-name { font-weight: 650; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }

@media (max-width: 860px) {
  .layout { grid-template-columns: 1fr; }
  #sidebar { position: static; height: auto; max-height: 45vh; border-right: 0; border-bottom: 1px solid var(--border); }
  .topbar { position: static; flex-wrap: wrap; }
  .auth input[type=password] { width: 100%; }
  #content { padding: 16px; }
}
`;
