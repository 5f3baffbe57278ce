// Building DOM without innerHTML: every value from the API is text, never markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function status(value) {
  // A class per status word ("Not run" -> Notrun) for its colour; the text stays as the API says it.
  return h("span", { class: `status ${String(value || "").replace(/\s+/g, "")}` }, value || "—");
}

export function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

export function table(headers, rows, caption) {
  return h("table", {},
    caption ? h("caption", { class: "sr-only" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((x) => {
      const [label, cls] = Array.isArray(x) ? x : [x, null];
      return h("th", { scope: "col", class: cls }, label);
    }))),
    h("tbody", {}, rows));
}

export function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function timeEl(iso) {
  return iso ? h("time", { datetime: iso, title: iso }, fmtTime(iso)) : "—";
}

export function seconds(a, b) {
  if (!a) return null;
  const end = b ? new Date(b) : new Date();
  return Math.max(0, (end - new Date(a)) / 1000);
}

export function fmtDuration(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "—";
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60), r = Math.round(s % 60);
  if (m < 60) return `${m} min ${r} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function fmtNum(n) {
  if (n === null || n === undefined || n === "") return "—";
  const x = Number(n);
  return Number.isFinite(x) ? x.toLocaleString("en-US") : String(n);
}

export function json(value) {
  return h("pre", { class: "mono" }, JSON.stringify(value ?? null, null, 2));
}

export function safeUrl(value) {
  // Only web links: a backend URL is data from elsewhere, never a javascript: link.
  try {
    const url = new URL(value, window.location.href);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

// Element.append/replaceChildren would print null as "null": these skip absent children.
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}
