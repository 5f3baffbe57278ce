// The sync-jobs dialect: runs with their resource_stats (live), stop; webhooks.
import { del, get, qs, watch } from "./api.js";
import { add, fill, fmtDuration, fmtNum, h, json, kv, seconds, status, table, timeEl } from "./dom.js";
import { banner, explain } from "./app.js";
import { viewerNote, writeButton } from "./syncs.js";

const ACTIVE = new Set(["created", "running", "rate_limited"]);

function statsRows(stats) {
  const rows = [];
  for (const [resource, methods] of Object.entries(stats || {})) {
    for (const [method, c] of Object.entries(methods || {})) {
      rows.push(h("tr", { "data-resource": resource, "data-method": method }, h("th", { scope: "row" }, resource), h("td", {}, method),
        ["fetched", "persisted", "delivered", "errors"].map((k) => h("td", { class: "num" }, fmtNum(c?.[k] ?? 0)))));
    }
  }
  return rows;
}

function statsTable(stats) {
  const rows = statsRows(stats);
  return rows.length ? table(["Resource", "Method", ["Fetched", "num"], ["Persisted", "num"], ["Delivered", "num"], ["Errors", "num"]], rows, "Resource stats")
    : h("p", { class: "note" }, "No resource stats yet.");
}

export async function renderJobs(main, ctx) {
  const cursor = ctx.query.get("cursor") || "";
  const state = ctx.query.get("status") || "";
  const [runs, hooks] = await Promise.all([
    get(`/sync-job-run${qs({ limit: 50, next_cursor: cursor, status: state })}`),
    get("/webhook?limit=100").catch(() => null),
  ]);
  const rows = runs.result.map((r) => h("tr", {},
    h("td", {}, h("a", { href: `#/jobs/runs/${r.id}` }, r.sync_job?.label || r.sync_job_id)),
    h("td", {}, status(r.status)),
    h("td", {}, r.webhook_id ? "webhook" : `daemon ${r.daemon_group_key || ""}`),
    h("td", {}, timeEl(r.created_at)),
    h("td", { class: "num" }, fmtDuration(seconds(r.started_at, r.finished_at))),
    h("td", {}, statsRows(r.resource_stats).length ? `${statsRows(r.resource_stats).length} resource/method` : "—"),
    h("td", {}, r.error || "—")));
  add(main, h("h1", {}, "Sync jobs"),
    h("h2", {}, "Runs"),
    rows.length ? table(["Sync job", "Status", "Target", "Created", ["Duration", "num"], "Resource stats", "Error"], rows, "Sync job runs")
      : h("p", { class: "note" }, "No sync-job runs."),
    h("div", { class: "pager" },
      cursor ? h("a", { href: "#/jobs" }, "First page") : null,
      runs.next_cursor ? h("a", { href: `#/jobs?${new URLSearchParams({ cursor: runs.next_cursor })}` }, "Next page") : null));
  if (hooks) {
    const hookRows = hooks.result.map((w) => h("tr", {}, h("td", {}, w.target_url), h("td", {}, w.is_active ? "active" : "inactive"),
      h("td", {}, (w.event_whitelist || []).join(", ") || "all events"), h("td", {}, timeEl(w.updated_at))));
    add(main, h("h2", {}, "Webhooks"),
      h("p", { class: "note" }, "Where run events are delivered (signed, from a durable outbox). Each run's page lists its deliveries."),
      hookRows.length ? table(["Target", "State", "Events", "Updated"], hookRows, "Webhooks") : h("p", { class: "note" }, "No webhooks."));
  }
}

// The run's events queued for webhooks, in queue order, each with its attempts; a page at a time.
// The body as sent is text (what its signature covers): shown indented when it is JSON, as-is otherwise.
function parsedBody(text) {
  try { return JSON.parse(text); } catch { return text; }
}

function deliveriesOf(id, ctx) {
  const section = h("section", { id: "deliveries", "aria-labelledby": "deliveries-h" });
  const path = `/sync-job-run/${encodeURIComponent(id)}/webhook-delivery`;
  const row = (d) => h("tr", { "data-delivery-id": d.id, "data-event": d.event, "data-status": d.status },
    h("td", {}, h("code", {}, d.event), h("div", { class: "note" }, `event ${d.event_id}`),
      d.body ? h("details", { class: "delivery-body" }, h("summary", {}, "Body sent"), json(parsedBody(d.body))) : null),
    h("td", {}, d.target_url || `webhook ${d.webhook_id} (deleted)`),
    h("td", {}, status(d.status), d.status === "pending" && d.next_attempt_at ? h("div", { class: "note" }, "next attempt ", timeEl(d.next_attempt_at)) : null),
    h("td", { class: "num" }, fmtNum(d.attempt_count)),
    h("td", {}, d.attempts.length ? h("ol", { class: "attempts" }, d.attempts.map((a) => h("li", {},
      a.http_status ? `HTTP ${a.http_status}` : "no answer", ` in ${fmtNum(a.duration_ms)} ms, `, timeEl(a.at),
      a.error ? h("div", { class: "error-text" }, a.error) : null))) : "—"),
    h("td", {}, timeEl(d.created_at)), h("td", {}, timeEl(d.delivered_at)));
  let generation = 0; // a newer load wins over a slower older one
  const load = async () => {
    const mine = ++generation;
    const tbody = h("tbody");
    const more = h("button", { type: "button", class: "secondary", id: "deliveries-more", hidden: true }, "More deliveries");
    let cursor = "";
    const page = async () => {
      const data = await get(`${path}${qs({ limit: 50, next_cursor: cursor })}`);
      if (!ctx.alive() || mine !== generation) return;
      add(tbody, data.result.map(row));
      cursor = data.next_cursor || "";
      more.hidden = !cursor;
      if (!tbody.children.length) fill(section, h("h2", { id: "deliveries-h" }, "Webhook deliveries"), h("p", { class: "note" }, "No events were queued for webhooks for this run."));
    };
    more.addEventListener("click", () => page().catch((e) => banner(explain(e))));
    fill(section, h("h2", { id: "deliveries-h" }, "Webhook deliveries"),
      h("p", { class: "note" }, "The run's events queued for webhooks, in order, with every delivery attempt."),
      h("table", {}, h("caption", { class: "sr-only" }, "Webhook deliveries of this run"),
        h("thead", {}, h("tr", {}, ["Event", "Target", "Status", ["Attempts", "num"], "Answers", "Queued", "Delivered"].map((x) => {
          const [label, cls] = Array.isArray(x) ? x : [x, null];
          return h("th", { scope: "col", class: cls }, label);
        }))), tbody),
      h("div", { class: "pager" }, more));
    await page();
  };
  return { section, load: () => load().catch((e) => { if (ctx.alive()) fill(section, h("h2", { id: "deliveries-h" }, "Webhook deliveries"), h("p", { role: "alert" }, explain(e))); }) };
}

export async function renderJobRun(main, ctx, id) {
  let run = await get(`/sync-job-run/${encodeURIComponent(id)}`);
  if (!ctx.alive()) return;
  const body = h("div");
  const deliveries = deliveriesOf(id, ctx);
  add(main, body, deliveries.section, h("p", {}, h("button", { type: "button", class: "secondary", id: "deliveries-refresh", onclick: () => deliveries.load() }, "Refresh deliveries")));
  const render = () => {
    document.title = `${run.sync_job?.label || "Sync job run"} · syncplane`;
    fill(body, 
      h("p", { class: "note" }, h("a", { href: "#/jobs" }, "Sync jobs"), " / run"),
      h("h1", {}, run.sync_job?.label || "Sync job run", " ", h("span", { id: "job-status", "aria-live": "polite" }, status(run.status))),
      viewerNote(),
      h("div", { class: "actions" }, ACTIVE.has(run.status) ? writeButton("Stop run", { class: "danger", id: "stop-run" }, async () => {
        await del(`/sync-job-run/${run.id}`);
        run = await get(`/sync-job-run/${run.id}`);
        render();
      }) : null),
      run.error ? h("pre", { class: "error" }, run.error) : null,
      kv([["Run id", h("code", {}, run.id)], ["Integrated account", h("code", {}, run.integrated_account_id)],
        ["Target", run.webhook_id ? `webhook ${run.webhook_id}` : `daemon group ${run.daemon_group_key || "default"}`],
        ["Daemon", run.daemon_id || "—"], ["Error handling", run.error_handling], ["Created", timeEl(run.created_at)],
        ["Started", timeEl(run.started_at)], ["Finished", timeEl(run.finished_at)],
        run.rate_limited_until ? ["Rate limited until", timeEl(run.rate_limited_until)] : null]),
      h("h2", { id: "resource-stats" }, "Resource stats"), statsTable(run.resource_stats),
      h("h2", {}, "Arguments"), json(run.args));
  };
  render();
  await deliveries.load();
  if (ACTIVE.has(run.status)) {
    // A status change queues an event: the deliveries are read again with it (and once the run ended).
    const stream = watch(`/sync-job-run/${encodeURIComponent(id)}/watch`, (next) => {
      const moved = next.status !== run.status;
      run = next;
      if (!ctx.alive()) return;
      render();
      if (moved) deliveries.load();
    }, (why) => {
      if (why instanceof Error) banner(explain(why));
      else if (why === "done" && ctx.alive()) deliveries.load();
    });
    ctx.onCleanup(() => stream.close());
  }
}
