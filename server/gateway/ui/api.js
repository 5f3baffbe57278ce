// Every call goes through the REST API with the signed-in key (X-API-Key), as any client's would.

const KEY = "syncplane.console.apiKey";

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
  caller: null,
  get canWrite() { return this.caller?.role === "administrator"; },
  onUnauthorized: () => {},
};

// Each dialect words its errors in its own shape; one readable sentence out of any of them.
export function errorText(status, body) {
  if (body && typeof body === "object") {
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
    if (body.validationErrors && typeof body.validationErrors === "object") {
      const parts = Object.entries(body.validationErrors).map(([k, v]) => `${k}: ${[].concat(v).join(", ")}`);
      if (parts.length) return `${body.message || "Invalid request"} (${parts.join("; ")})`;
    }
    if (typeof body.message === "string" && body.message) return body.message;
    if (typeof body.error === "string") return body.error;
  }
  if (typeof body === "string" && body) return body;
  return `HTTP ${status}`;
}

export async function api(method, path, body) {
  const headers = { "X-API-Key": session.key || "", Accept: "application/json" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!resp.ok) {
    const err = new ApiError(resp.status, errorText(resp.status, data), data);
    if (resp.status === 401) session.onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body ?? {});
export const del = (path) => api("DELETE", path);

export function qs(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// A server-streaming watch as Server-Sent Events. EventSource cannot send the X-API-Key header, so
// this reads the same text/event-stream with fetch. `onMessage(obj)` per event; `onEnd(reason)`
// once, when the stream ended ("done"), failed (an Error / ApiError) or was closed ("closed").
export function watch(path, onMessage, onEnd = () => {}) {
  const abort = new AbortController();
  let ended = false;
  const finish = (why) => { if (!ended) { ended = true; onEnd(why); } };
  (async () => {
    let resp;
    try {
      resp = await fetch(path, { headers: { "X-API-Key": session.key || "", Accept: "text/event-stream" }, signal: abort.signal });
    } catch (e) { finish(abort.signal.aborted ? "closed" : e); return; }
    if (!resp.ok) {
      const text = await resp.text();
      let data = text; try { data = JSON.parse(text); } catch { /* plain text */ }
      const err = new ApiError(resp.status, errorText(resp.status, data), data);
      if (resp.status === 401) session.onUnauthorized(err);
      finish(err);
      return;
    }
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (!data.length) continue;
          let payload;
          try { payload = JSON.parse(data.join("\n")); } catch { continue; }
          if (event === "error") { finish(new ApiError(500, errorText(500, payload), payload)); return; }
          onMessage(payload);
        }
      }
      finish("done");
    } catch (e) {
      finish(abort.signal.aborted ? "closed" : e);
    }
  })();
  return { close() { abort.abort(); finish("closed"); } };
}
