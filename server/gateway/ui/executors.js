// Executors: connected or not, group, connectors, slots in use, and what each runs.
import { get } from "./api.js";
import { add, h, status, table, timeEl } from "./dom.js";
import { runLink } from "./runs.js";

export async function renderExecutors(main) {
  const data = await get("/api/v1/console/executors");
  const rows = data.executors.map((x) => h("tr", { "data-executor": x.executorId },
    h("th", { scope: "row" }, x.executorId),
    h("td", {}, x.group),
    h("td", {}, x.connected ? (x.draining ? "draining" : "connected") : "disconnected"),
    h("td", { class: "num" }, x.slots ? `${x.slotsInUse} of ${x.slots}` : `${x.slotsInUse}`),
    h("td", {}, (x.connectors || []).join(", ") || h("span", { class: "note" }, "known to the replica holding its stream")),
    h("td", {}, x.runs.length ? h("ul", {}, x.runs.map((r) => h("li", {},
      runLink(r.dialect === "syncs" ? { ...r, runId: r.runId } : r) ? h("a", { href: runLink(r) }, r.title || r.runId) : r.title || r.runId,
      " ", status(r.status), ` (${r.dialect})`))) : "idle"),
    h("td", {}, timeEl(x.lastSeenAt))));
  add(main, h("h1", {}, "Executors"),
    rows.length ? table(["Executor", "Group", "State", ["Slots in use", "num"], "Connectors", "Running", "Last seen"], rows, "Executors")
      : h("p", { class: "note" }, "No executor has connected yet."));
}
