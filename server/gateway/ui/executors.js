// Executors: connected or not, group, connectors, slots in use, and what each runs.
import { get, watch } from "./api.js";
import { add, fill, h, status, table, timeEl } from "./dom.js";
import { runLink } from "./runs.js";

export async function renderExecutors(main, ctx) {
  const body = h("div", { id: "executors" });
  add(main, h("h1", {}, "Executors"), body);
  const load = async () => {
    const data = await get("/api/v1/console/executors");
    if (ctx.alive()) fill(body, executorsTable(data.executors));
  };
  await load();
  // Live: a run starting or ending changes what an executor holds; look again then (one look at a time).
  let pending = null;
  const stream = watch("/api/v1/console/runs/watch", () => {
    if (!pending) pending = load().catch(() => {}).finally(() => { pending = null; });
  }, () => {});
  ctx.onCleanup(() => stream.close());
}

function executorsTable(executors) {
  const rows = executors.map((x) => h("tr", { "data-executor": x.executorId },
    h("th", { scope: "row" }, x.executorId),
    h("td", {}, x.group),
    h("td", {}, x.connected ? (x.draining ? "draining" : "connected") : "disconnected"),
    h("td", { class: "num" }, x.slots ? `${x.slotsInUse} of ${x.slots}` : `${x.slotsInUse}`),
    h("td", {}, (x.connectors || []).join(", ") || h("span", { class: "note" }, "known to the replica holding its stream")),
    h("td", {}, x.runs.length ? h("ul", {}, x.runs.map((r) => h("li", {},
      runLink(r) ? h("a", { href: runLink(r) }, r.title || r.runId) : r.title || r.runId,
      " ", status(r.status), ` (${r.dialect})`))) : "idle"),
    h("td", {}, timeEl(x.lastSeenAt))));
  return rows.length ? table(["Executor", "Group", "State", ["Slots in use", "num"], "Connectors", "Running", "Last seen"], rows, "Executors")
    : h("p", { class: "note" }, "No executor has connected yet.");
}
