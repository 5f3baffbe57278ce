// The syncs dialect: the list of syncs, and one sync with its settings, bindings, freshness, runs and chart.
import { get, post, qs, session, watch } from "./api.js";
import { add, fill, fmtDuration, fmtNum, h, kv, seconds, status, table, timeEl } from "./dom.js";
import { banner, explain } from "./app.js";
import { runsChart } from "./chart.js";

const ACTIVE = new Set(["pending", "running", "cancelling"]);

export function writeButton(label, attrs, action) {
  // A Viewer sees the button, disabled, and why; an Administrator's click calls the API.
  const button = h("button", { type: "button", ...attrs, disabled: !session.canWrite,
    title: session.canWrite ? null : "Viewer keys cannot change anything" }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await action();
    } catch (err) {
      banner(explain(err));
    } finally {
      button.disabled = !session.canWrite;
    }
  });
  return button;
}

export function viewerNote() {
  return session.canWrite ? null : h("p", { class: "note", id: "viewer-note" }, "Signed in with a Viewer key: you can see everything and change nothing.");
}

export async function renderSyncs(main, ctx) {
  const page = Number(ctx.query.get("page") || 0);
  const limit = 50;
  const data = await get(`/api/v1/syncs${qs({ limit, offset: page * limit })}`);
  const rows = data.syncs.map((s) => h("tr", {},
    h("td", {}, h("a", { href: `#/syncs/${s.id}` }, s.name)),
    h("td", {}, s.providerKey),
    h("td", {}, status(s.status)),
    h("td", {}, s.freshnessSlaSeconds ? (s.fresh ? "fresh" : "stale") : "no SLA"),
    h("td", {}, timeEl(s.lastSuccessAt)),
    h("td", {}, s.lastError ? h("span", { class: "note" }, s.lastError.slice(0, 120)) : "—")));
  add(main, h("h1", {}, "Syncs"),
    h("p", { class: "note" }, `${data.total} sync${data.total === 1 ? "" : "s"}.`),
    table(["Name", "Provider", "Status", "Freshness", "Last success", "Last error"], rows, "Syncs"),
    h("div", { class: "pager" },
      page > 0 ? h("a", { href: `#/syncs?page=${page - 1}` }, "Previous page") : null,
      data.hasNext ? h("a", { href: `#/syncs?page=${page + 1}` }, "Next page") : null));
}

function rowsOf(run) {
  const n = run.summary?.rowsWritten;
  return n === undefined ? "—" : fmtNum(n);
}

function freshness(sync) {
  if (!sync.freshnessSlaSeconds) return h("p", {}, "No freshness SLA is set.");
  const age = sync.lastSuccessAt ? seconds(sync.lastSuccessAt) : null;
  return h("div", { id: "freshness" },
    h("p", {}, h("strong", {}, sync.fresh ? "Fresh" : "Stale"),
      ` — SLA ${fmtDuration(sync.freshnessSlaSeconds)}; last success ${age === null ? "never" : `${fmtDuration(age)} ago`}`,
      sync.freshUntil ? ["; fresh until ", timeEl(sync.freshUntil)] : null, "."),
    h("progress", { max: sync.freshnessSlaSeconds, value: Math.min(sync.freshnessSlaSeconds, age ?? sync.freshnessSlaSeconds),
      "aria-label": "Time since last success against the SLA" }));
}

export async function renderSync(main, ctx, syncId) {
  const header = h("div");
  const body = h("div");
  add(main, header, body);
  let stream = null;
  ctx.onCleanup(() => stream?.close());
  // Kept across re-renders: a live update must not undo the user's choice.
  const runMode = h("select", { id: "run-mode", name: "runMode", disabled: !session.canWrite },
    h("option", { value: "incremental" }, "incremental"), h("option", { value: "full" }, "full"));

  const load = async () => {
    const [sync, runs] = await Promise.all([
      get(`/api/v1/syncs/${encodeURIComponent(syncId)}`),
      get(`/api/v1/syncs/${encodeURIComponent(syncId)}/runs${qs({ limit: 50 })}`),
    ]);
    if (!ctx.alive()) return;
    document.title = `${sync.name} · syncplane`;
    const active = runs.runs.find((r) => ACTIVE.has(r.status));
    const latest = runs.runs[0];
    fill(header, 
      h("p", { class: "note" }, h("a", { href: "#/syncs" }, "Syncs"), " / ", sync.name),
      h("h1", {}, sync.name, " ", status(sync.status)),
      viewerNote(),
      h("div", { class: "actions" },
        h("label", { for: "run-mode" }, "Run mode"),
        runMode,
        writeButton("Sync now", { id: "sync-now" }, async () => {
          const run = await post(`/api/v1/syncs/${encodeURIComponent(syncId)}/trigger`, { runMode: runMode.value });
          window.location.hash = `#/runs/${run.id}`;
        }),
        active ? writeButton("Cancel the active run", { id: "cancel-run", class: "danger" }, async () => {
          await post(`/api/v1/syncs/runs/${active.id}/cancel`, { reason: "cancelled from the console" });
          await load();
        }) : null,
        latest && !active && latest.status !== "succeeded" ? writeButton("Retry the last run", { id: "retry-run", class: "secondary" }, async () => {
          const run = await post(`/api/v1/syncs/runs/${latest.id}/retry`, {});
          window.location.hash = `#/runs/${run.id}`;
        }) : null,
        active ? h("a", { href: `#/runs/${active.id}` }, `Watch the ${active.status} run`) : null));
    const bindings = (sync.tableBindings || []).map((b) => h("tr", {},
      h("td", {}, b.entityKey), h("td", {}, b.tableName), h("td", {}, (b.primaryKeyColumns || []).join(", ")),
      h("td", {}, b.cursorField || "—"), h("td", {}, b.loadMode)));
    const runRows = runs.runs.map((r) => h("tr", {},
      h("td", {}, h("a", { href: `#/runs/${r.id}` }, timeEl(r.createdAt))),
      h("td", {}, status(r.status)),
      h("td", {}, r.runMode),
      h("td", {}, r.triggeredBy),
      h("td", { class: "num" }, r.attemptNumber),
      h("td", { class: "num" }, fmtDuration(seconds(r.startedAt, r.completedAt))),
      h("td", { class: "num" }, rowsOf(r)),
      h("td", {}, r.error ? r.error.slice(0, 100) : "—")));
    fill(body, 
      h("div", { class: "grid" },
        h("section", { "aria-labelledby": "settings-h" }, h("h2", { id: "settings-h" }, "Settings"),
          kv([
            ["Provider", sync.providerKey],
            ["Connection", h("code", {}, sync.connectionId)],
            ["Entities", (sync.entities || []).join(", ") || "—"],
            ["Trigger", sync.triggerMode + (sync.schedule ? ` (${sync.schedule.cron} ${sync.schedule.timezone || ""})` : "")],
            ["Execution", `${sync.executionBackend} · ${sync.executionMode}`],
            ["Execution config", h("code", {}, JSON.stringify(sync.executionConfig || {}))],
            ["Destination", h("code", {}, JSON.stringify(sync.destinationConfig || {}))],
            ["Last error", sync.lastError || "—"],
          ])),
        h("section", { "aria-labelledby": "fresh-h" }, h("h2", { id: "fresh-h" }, "Freshness"), freshness(sync))),
      h("h2", { id: "bindings-h" }, "Table bindings"),
      bindings.length ? table(["Entity", "Table", "Primary key", "Cursor", "Load mode"], bindings, "Table bindings") : h("p", { class: "note" }, "No table bindings."),
      h("h2", {}, "Rows and duration per run"),
      runsChart(runs.runs),
      h("h2", {}, "Last runs"),
      runRows.length ? table(["Created", "Status", "Mode", "Trigger", ["Attempt", "num"], ["Duration", "num"], ["Rows", "num"], "Error"], runRows, "Last runs")
        : h("p", { class: "note" }, "No runs yet."));
  };
  await load();
  // Live: every status change of this sync's runs (a new run, one ending) re-reads the page.
  let pending = null;
  stream = watch("/api/v1/console/runs/watch", (run) => {
    if (run.dialect !== "syncs" || run.subjectId !== syncId || pending) return;
    pending = load().catch((e) => banner(explain(e))).finally(() => { pending = null; });
  }, () => {});
}
