// Overview: the latest attempt of every run chain of every dialect, newest first, live.
import { ApiError, get, qs, watch } from "./api.js";
import { add, fill, fmtDuration, h, seconds, status, table, timeEl } from "./dom.js";

const DIALECTS = [["", "All dialects"], ["syncs", "Syncs"], ["identity", "Identity"], ["jobs", "Sync jobs"]];
const STATUSES = ["", "pending", "running", "cancelling", "succeeded", "failed", "cancelled"];
const PAGE = 50;
const DIALECT_LABEL = { syncs: "sync", identity: "identity", jobs: "sync job" };

export function runLink(run) {
  if (run.dialect === "syncs") return `#/runs/${run.runId}`;
  if (run.dialect === "identity") return `#/identity/activities/${run.subjectId}`;
  if (run.dialect === "jobs") return `#/jobs/runs/${run.subjectId}`;
  return null;
}

function localInput(iso) {
  // <input type=datetime-local> speaks local time without a zone.
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function renderRuns(main, ctx) {
  const q = ctx.query;
  const filters = {
    dialect: q.get("dialect") || "",
    status: q.get("status") || "",
    from: q.get("from") || "",
    to: q.get("to") || "",
  };
  const select = (id, label, options, value) => h("div", {},
    h("label", { for: id }, label),
    h("select", { id, name: id }, options.map(([v, text]) => h("option", { value: v, selected: v === value }, text))));
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter runs" },
    select("dialect", "Dialect", DIALECTS, filters.dialect),
    select("status", "Status", STATUSES.map((s) => [s, s || "Any status"]), filters.status),
    h("div", {}, h("label", { for: "from" }, "Created from"), h("input", { id: "from", name: "from", type: "datetime-local", value: localInput(filters.from) })),
    h("div", {}, h("label", { for: "to" }, "Created before"), h("input", { id: "to", name: "to", type: "datetime-local", value: localInput(filters.to) })),
    h("button", { type: "submit" }, "Apply"));
  const executionsSection = h("section", { "aria-labelledby": "executions-h", hidden: true, id: "schedule-executions" });
  const live = h("span", { class: "live off", id: "live", "aria-live": "polite" }, "connecting…");
  const count = h("p", { class: "note", id: "runs-count", "aria-live": "polite" });
  const tbody = h("tbody", { id: "runs-body" });
  const more = h("button", { type: "button", class: "secondary", id: "load-more", hidden: true }, "Load more");
  add(main, 
    h("h1", {}, "Runs ", live),
    form,
    count,
    h("table", { "aria-describedby": "runs-count" },
      h("caption", { class: "sr-only" }, "Runs of every dialect, newest first"),
      h("thead", {}, h("tr", {}, ["Run", "Dialect", "Status", "Attempt", "Created", "Duration", "Executor"].map((x) => h("th", { scope: "col" }, x)))),
      tbody),
    h("div", { class: "pager" }, more),
    executionsSection);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    const data = new FormData(form);
    for (const key of ["dialect", "status"]) if (data.get(key)) next.set(key, data.get(key));
    for (const key of ["from", "to"]) {
      const v = data.get(key);
      if (v) next.set(key, new Date(v).toISOString());
    }
    window.location.hash = `#/${[...next].length ? `?${next}` : ""}`;
  });

  const rows = new Map(); // runId -> {run, tr}
  let cursor = "";
  const matches = (run) =>
    (!filters.dialect || run.dialect === filters.dialect) &&
    (!filters.status || run.status === filters.status) &&
    (!filters.from || new Date(run.createdAt) >= new Date(filters.from)) &&
    (!filters.to || new Date(run.createdAt) < new Date(filters.to));

  const row = (run) => {
    const link = runLink(run);
    return h("tr", { "data-run-id": run.runId, "data-status": run.status },
      h("td", {}, link ? h("a", { href: link }, run.title || run.runId) : run.title || run.runId,
        run.error ? h("div", { class: "note" }, run.error.slice(0, 140)) : null),
      h("td", {}, DIALECT_LABEL[run.dialect] || run.dialect),
      h("td", {}, status(run.status)),
      h("td", { class: "num" }, run.attemptNumber),
      h("td", {}, timeEl(run.createdAt)),
      h("td", { class: "num" }, fmtDuration(seconds(run.startedAt, run.completedAt))),
      h("td", {}, run.executorId || "—"));
  };
  // The server's order: (createdAt, runId) descending. Timestamps differ in their digits ("…06.4Z"), so
  // compare instants first and the text only within one millisecond.
  const newer = (a, b) => {
    const d = Date.parse(a.createdAt) - Date.parse(b.createdAt);
    if (d !== 0) return d > 0;
    return a.createdAt === b.createdAt ? a.runId > b.runId : a.createdAt > b.createdAt;
  };
  // Keeps the list in the server's order (newest first): a run the stream reports goes where a page
  // would have put it; one older than everything loaded waits for "Load more".
  const put = (run, fromPage = false) => {
    const old = rows.get(run.runId);
    if (old && old.run.updatedAt && run.updatedAt && old.run.updatedAt > run.updatedAt) return;
    // A later attempt of the same chain replaces its predecessor in the list.
    for (const [id, entry] of rows) {
      if (id !== run.runId && entry.run.rootRunId === run.rootRunId && run.attemptNumber > entry.run.attemptNumber) {
        entry.tr.remove();
        rows.delete(id);
      }
    }
    const tr = row(run);
    if (old) {
      old.tr.replaceWith(tr);
    } else {
      const before = fromPage ? null : [...tbody.children].find((el) => newer(run, rows.get(el.dataset.runId).run));
      if (before) tbody.insertBefore(tr, before);
      else if (fromPage || !cursor) tbody.append(tr);
      else return;
    }
    rows.set(run.runId, { run, tr });
  };
  const updateCount = () => {
    count.textContent = rows.size ? `${rows.size} run${rows.size === 1 ? "" : "s"} shown${cursor ? " (more available)" : ""}.` : "No runs match.";
  };

  // A page is PAGE runs (the URL may ask for 1..200): the list grows by "Load more", never all at once.
  const limit = Math.min(200, Math.max(1, Number(q.get("limit")) || PAGE));
  const params = { dialect: filters.dialect, status: filters.status, createdFrom: filters.from, createdTo: filters.to, limit };
  const first = await get(`/api/v1/console/runs${qs(params)}`);
  if (!ctx.alive()) return;
  for (const run of first.runs) put(run, true);
  cursor = first.nextCursor || "";
  more.hidden = !cursor;
  updateCount();
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const page = await get(`/api/v1/console/runs${qs({ ...params, cursor })}`);
      for (const run of page.runs) if (!rows.has(run.runId)) put(run, true);
      cursor = page.nextCursor || "";
      more.hidden = !cursor;
      updateCount();
    } finally {
      more.disabled = false;
    }
  });

  // Identity schedule executions group several activities (their steps); shown when there are some and the
  // key may read them (identity is for administrators: a 403 shows nothing). Read again, at most once a
  // second, when the run feed reports an identity run: a step's run changing is the execution changing.
  const showExecutions = !filters.dialect || filters.dialect === "identity";
  let executionsTimer = null;
  const loadExecutions = () => {
    executionsTimer = null;
    get(`/api/v1/schedule-executions${qs({ pageSize: 10 })}`).then((data) => {
      const items = data?.items || [];
      if (!ctx.alive() || !items.length) return;
      fill(executionsSection,
        h("h2", { id: "executions-h" }, "Latest schedule executions"),
        table(["Schedule", "Status", "Group", "Queued", "Completed"], items.map((e) => h("tr", { "data-execution-id": e.id, "data-status": e.status },
          h("td", {}, h("a", { href: `#/identity/schedule-executions/${e.id}` }, e.scheduleName || e.id)),
          h("td", {}, status(e.status)),
          h("td", {}, e.currentStepIndex === undefined ? "—" : `step index ${e.currentStepIndex} · ${e.totalSteps} group${e.totalSteps === 1 ? "" : "s"}`),
          h("td", {}, timeEl(e.queuedAt)), h("td", {}, timeEl(e.completedAt)))), "Schedule executions"));
      executionsSection.hidden = false;
    }).catch(() => { /* not for this key (403): nothing to show */ });
  };
  const executionsChanged = () => {
    if (showExecutions && !executionsTimer) executionsTimer = setTimeout(loadExecutions, 1000);
  };
  if (showExecutions) loadExecutions();
  ctx.onCleanup(() => clearTimeout(executionsTimer));

  // Live: one stream of every run's status changes, from the moment the page was read.
  let since = first.asOf;
  let stream = null;
  let retry = null;
  let delay = 1000;
  const connect = () => {
    stream = watch(`/api/v1/console/runs/watch${qs({ since })}`, (run) => {
      live.textContent = "live";
      live.className = "live";
      delay = 1000;
      if (run.updatedAt && (!since || run.updatedAt > since)) since = run.updatedAt;
      if (run.dialect === "identity") executionsChanged();
      if (rows.has(run.runId) || matches(run)) {
        put(run);
        updateCount();
      }
    }, (why) => {
      if (!ctx.alive() || why === "closed") return;
      if (why instanceof ApiError && why.status === 400) {
        window.location.reload(); // away too long to catch up: read the list afresh
        return;
      }
      live.textContent = "reconnecting…";
      live.className = "live off";
      // The stream ended (server restart, network): reconnect, catching up from the last change seen.
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    });
    live.textContent = "live";
    live.className = "live";
  };
  connect();
  ctx.onCleanup(() => { clearTimeout(retry); stream?.close(); });
}
