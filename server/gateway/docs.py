"""`GET /docs`: a small self-contained page that lists the operations of /openapi.json.

No CDN-hosted UI: the servers may have no internet access, so the page carries its own few lines of
script and style.
"""

from __future__ import annotations

DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API reference</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
  h1 { font-size: 1.5rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
  details { border: 1px solid #e3e3e3; border-radius: 4px; margin: .4rem 0; padding: .3rem .6rem; }
  summary { cursor: pointer; }
  .m { display: inline-block; width: 4.5rem; font-weight: 600; text-transform: uppercase; }
  .get { color: #1769aa; } .post { color: #2e7d32; } .patch { color: #b26a00; }
  .put { color: #6a1b9a; } .delete { color: #c62828; }
  code, pre { font-family: ui-monospace, monospace; } pre { background: #f6f6f6; padding: .5rem; overflow: auto; }
  .muted { color: #777; }
</style>
</head>
<body>
<h1 id="title">API reference</h1>
<p class="muted">Generated from <a href="/openapi.json">/openapi.json</a>.</p>
<div id="ops">Loading…</div>
<script>
"use strict";
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child);
  return node;
}
function show(value) { return el("pre", {}, JSON.stringify(value, null, 2)); }
fetch("/openapi.json").then(r => r.json()).then(doc => {
  document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ["other"])[0];
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push([method, path, op]);
    }
  }
  const root = document.getElementById("ops");
  root.textContent = "";
  for (const [tag, ops] of byTag) {
    root.append(el("h2", {}, tag));
    for (const [method, path, op] of ops) {
      const body = el("div", {});
      if (op.parameters && op.parameters.length)
        body.append(el("h4", {}, "Parameters"),
                    show(op.parameters.map(p => ({name: p.name, in: p.in, schema: p.schema}))));
      if (op.requestBody) body.append(el("h4", {}, "Request body"), show(op.requestBody.content));
      body.append(el("h4", {}, "Responses"), show(op.responses));
      root.append(el("details", {},
        el("summary", {}, el("span", {class: "m " + method}, method), el("code", {}, path), " ", op.summary || ""),
        body));
    }
  }
}).catch(err => { document.getElementById("ops").textContent = "Could not load /openapi.json: " + err; });
</script>
</body>
</html>
"""
