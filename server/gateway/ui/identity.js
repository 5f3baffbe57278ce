// The identity dialect: connected systems and run profiles (execute, live), activities, schedules.
import { ApiError, get, post, qs, watch } from "./api.js";
import { add, fill, fmtDuration, fmtNum, h, kv, status, table, timeEl } from "./dom.js";
import { banner, explain } from "./app.js";
import { viewerNote, writeButton } from "./syncs.js";

const TABS = [["systems", "Connected systems"], ["activities", "Activities"], ["schedules", "Schedules"], ["executions", "Schedule executions"]];
const DONE = new Set(["Complete", "CompleteWithWarning", "CompleteWithError", "FailedWithError", "Cancelled"]);

function unavailable(err, what) {
  if (err instanceof ApiError && err.status === 404) {
    return h("p", { class: "note", id: "not-available" }, `${what} are not available on this server.`);
  }
  if (err instanceof ApiError && err.status === 403) {
    return h("p", { role: "alert", id: "forbidden" }, `Your key cannot read ${what.toLowerCase()}: ${err.message}. The identity API is for Administrator keys.`);
  }
  throw err;
}

export async function renderIdentity(main, ctx) {
  const tab = ctx.query.get("tab") || "systems";
  add(main, h("h1", {}, "Identity"), viewerNote(),
    h("nav", { class: "tabs", "aria-label": "Identity screens" },
      TABS.map(([key, label]) => h("a", { href: `#/identity?tab=${key}`, "aria-current": key === tab ? "page" : null }, label))));
  const body = h("div");
  add(main, body);
  try {
    if (tab === "systems") await systems(body);
    else if (tab === "activities") await activities(body, ctx);
    else if (tab === "schedules") await schedules(body, ctx);
    else if (tab === "executions") await executions(body, ctx);
  } catch (err) {
    add(body, unavailable(err, TABS.find(([k]) => k === tab)?.[1] || "These"));
  }
}

async function systems(body) {
  const list = await get("/api/v1/synchronisation/connected-systems?pageSize=100");
  for (const system of list.items) {
    const profiles = await get(`/api/v1/synchronisation/connected-systems/${system.id}/run-profiles`);
    const rows = profiles.map((p) => h("tr", {},
      h("td", {}, p.name), h("td", {}, p.runType), h("td", { class: "num" }, p.pageSize), h("td", {}, p.partitionName || "—"),
      h("td", {}, writeButton("Execute", { "aria-label": `Execute ${p.name} on ${system.name}`, class: "secondary" }, async () => {
        const started = await post(`/api/v1/synchronisation/connected-systems/${system.id}/run-profiles/${p.id}/execute`);
        window.location.hash = `#/identity/activities/${started.activityId}`;
      }))));
    add(body, h("section", { class: "card", "aria-labelledby": `cs-${system.id}` },
      h("h2", { id: `cs-${system.id}` }, system.name, " ", status(system.status)),
      h("p", { class: "note" }, `${system.connectorName} · ${fmtNum(system.objectCount)} objects · ${fmtNum(system.pendingExportObjectsCount)} pending exports`, system.description ? ` · ${system.description}` : ""),
      rows.length ? table(["Run profile", "Run type", ["Page size", "num"], "Partition", "Action"], rows, `Run profiles of ${system.name}`)
        : h("p", { class: "note" }, "No run profiles.")));
  }
  if (!list.items.length) add(body, h("p", { class: "note" }, "No connected systems."));
}

function counters(c) {
  if (!c) return "—";
  const parts = Object.entries(c).filter(([, v]) => Number(v) > 0).map(([k, v]) => `${k.replace(/^total/, "")} ${fmtNum(v)}`);
  return parts.join(", ") || "none";
}

async function activities(body, ctx) {
  const page = Number(ctx.query.get("page") || 1);
  const data = await get(`/api/v1/activities${qs({ page, pageSize: 50 })}`);
  const rows = data.items.map((a) => h("tr", {},
    h("td", {}, h("a", { href: `#/identity/activities/${a.id}` }, a.targetName || a.id), h("div", { class: "note" }, a.targetContext || "")),
    h("td", {}, a.connectedSystemRunType || a.targetOperationType),
    h("td", {}, status(a.status)),
    h("td", {}, timeEl(a.created)),
    h("td", { class: "num" }, `${fmtNum(a.objectsProcessed)} / ${fmtNum(a.objectsToProcess)}`),
    h("td", {}, counters(a.counters)),
    h("td", {}, a.errorMessage || a.message || "—")));
  add(body, table(["Activity", "Run type", "Status", "Created", ["Objects", "num"], "Counters", "Message"], rows, "Activities"),
    h("div", { class: "pager" },
      data.hasPreviousPage ? h("a", { href: `#/identity?tab=activities&page=${page - 1}` }, "Previous page") : null,
      h("span", { class: "note" }, `Page ${data.page} of ${data.totalPages || 1}`),
      data.hasNextPage ? h("a", { href: `#/identity?tab=activities&page=${page + 1}` }, "Next page") : null));
}

async function schedules(body, ctx) {
  const data = await get(`/api/v1/schedules${qs({ page: ctx.query.get("page") || 1, pageSize: 50 })}`);
  const items = data.items || [];
  const rows = items.map((s) => h("tr", {},
    h("td", {}, s.name), h("td", {}, s.triggerType === "Cron" ? `${s.triggerType} ${s.cronExpression || ""}` : s.triggerType),
    h("td", {}, s.isEnabled ? "enabled" : "disabled"), h("td", { class: "num" }, s.stepCount ?? "—"),
    h("td", {}, timeEl(s.lastRunTime)), h("td", {}, timeEl(s.nextRunTime)),
    h("td", {}, s.lastExecutionId ? h("a", { href: `#/identity/schedule-executions/${s.lastExecutionId}` }, s.lastExecutionStatus || "open") : "—"),
    h("td", {}, writeButton("Run now", { class: "secondary", "aria-label": `Run ${s.name} now` }, async () => {
      const started = await post(`/api/v1/schedules/${s.id}/run`);
      window.location.hash = `#/identity/schedule-executions/${started.executionId}`;
    }))));
  add(body, rows.length ? table(["Schedule", "Trigger", "State", ["Steps", "num"], "Last run", "Next run", "Last execution", "Action"], rows, "Schedules")
    : h("p", { class: "note" }, "No schedules."));
}

async function executions(body, ctx) {
  const data = await get(`/api/v1/schedule-executions${qs({ page: ctx.query.get("page") || 1, pageSize: 50 })}`);
  const items = data.items || [];
  const rows = items.map((e) => h("tr", {},
    h("td", {}, h("a", { href: `#/identity/schedule-executions/${e.id}` }, e.scheduleName || e.id)),
    h("td", {}, status(e.status)),
    h("td", { class: "num" }, `${(e.currentStepIndex ?? 0)} / ${e.totalSteps ?? "—"}`),
    h("td", {}, timeEl(e.queuedAt)), h("td", {}, timeEl(e.completedAt)), h("td", {}, e.errorMessage || "—")));
  add(body, rows.length ? table(["Schedule", "Status", ["Group", "num"], "Queued", "Completed", "Error"], rows, "Schedule executions")
    : h("p", { class: "note" }, "No schedule executions."));
}

export async function renderExecution(main, ctx, id) {
  add(main, h("p", { class: "note" }, h("a", { href: "#/identity?tab=executions" }, "Schedule executions"), " / execution"));
  let e;
  try {
    e = await get(`/api/v1/schedule-executions/${encodeURIComponent(id)}`);
  } catch (err) {
    add(main, h("h1", {}, "Schedule execution"), unavailable(err, "Schedule executions"));
    return;
  }
  const groups = new Map();
  for (const step of e.steps || []) {
    if (!groups.has(step.stepIndex)) groups.set(step.stepIndex, []);
    groups.get(step.stepIndex).push(step);
  }
  add(main, h("h1", {}, e.scheduleName || "Schedule execution", " ", status(e.status)),
    kv([["Queued", timeEl(e.queuedAt)], ["Started", timeEl(e.startedAt)], ["Completed", timeEl(e.completedAt)],
      ["Initiated by", [e.initiatedByType, e.initiatedByName].filter(Boolean).join(" ")], ["Error", e.errorMessage || "—"]]),
    h("h2", {}, "Steps"),
    h("ol", { class: "timeline" }, [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([index, steps]) => h("li", {},
      h("strong", {}, `Group ${index}`), steps.length > 1 ? h("span", { class: "note" }, " (in parallel)") : null,
      h("ul", {}, steps.map((s) => h("li", {},
        `${s.name || s.runProfileName || s.stepType} on ${s.connectedSystemName || "—"}: `, s.status || "—",
        s.activityId ? [" · ", h("a", { href: `#/identity/activities/${s.activityId}` }, "activity")] : null,
        s.errorMessage ? h("div", { class: "note" }, s.errorMessage) : null)))))));
}

export async function renderActivity(main, ctx, id) {
  let activity;
  try {
    activity = await get(`/api/v1/activities/${encodeURIComponent(id)}`);
  } catch (err) {
    add(main, h("h1", {}, "Activity"), unavailable(err, "Activities"));
    return;
  }
  if (!ctx.alive()) return;
  const head = h("div");
  const prog = h("section", { id: "activity-progress", "aria-labelledby": "ap-h" });
  const rest = h("div");
  add(main, head, prog, rest);
  const renderHead = () => {
    document.title = `${activity.targetName || "Activity"} · syncplane`;
    fill(head, 
      h("p", { class: "note" }, h("a", { href: "#/identity?tab=activities" }, "Activities"), " / ", activity.targetName || id),
      h("h1", {}, `${activity.targetName || "Activity"} on ${activity.targetContext || "—"} `, h("span", { id: "activity-status", "aria-live": "polite" }, status(activity.status))));
    fill(rest, 
      activity.errorMessage ? h("pre", { class: "error" }, activity.errorMessage) : null,
      activity.warningMessage ? h("p", { class: "note" }, `Warning: ${activity.warningMessage}`) : null,
      h("h2", {}, "Activity"),
      kv([["Run type", activity.connectedSystemRunType], ["Created", timeEl(activity.created)], ["Executed", timeEl(activity.executed)],
        ["Ended", timeEl(activity.ended)], ["Initiated by", `${activity.initiatedByType || ""} ${activity.initiatedByName || ""}`],
        ["Execution time", fmtDuration(activity.executionTime)], ["Message", activity.message || "—"]]),
      h("h2", {}, "Counters"),
      table(["Counter", ["Value", "num"]], Object.entries(activity.counters || {}).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "num" }, fmtNum(v)))), "Counters"));
  };
  const renderProgress = (p) => {
    const pct = Number(p.percentComplete ?? 0);
    fill(prog, 
      h("h2", { id: "ap-h" }, "Progress"),
      h("progress", { max: 100, value: pct, "aria-label": "Percent complete" }),
      kv([
        ["Objects", `${fmtNum(p.objectsProcessed)} of ${fmtNum(p.objectsToProcess)} (${pct.toFixed(0)}%)`],
        ["Rate", p.objectsPerSecond ? `${fmtNum(Math.round(p.objectsPerSecond))} objects/s` : "—"],
        ["Elapsed", fmtDuration(p.elapsedSeconds)],
        ["Time remaining", p.estimatedSecondsRemaining === undefined || p.estimatedSecondsRemaining === null ? "unknown" : fmtDuration(p.estimatedSecondsRemaining)],
        ["Message", p.message || "—"],
        ["Errors", fmtNum(p.totalErrors)],
      ]),
      p.phases?.length ? [h("h3", {}, "Steps"), h("ol", { class: "timeline" }, p.phases.map((ph, i) => h("li", { class: ph.status === "InProgress" ? "current" : null },
        `Step ${i + 1} of ${p.phases.length}: ${ph.name} — ${ph.status}`,
        ph.started ? h("span", { class: "note" }, " (", fmtDuration(((ph.ended ? Date.parse(ph.ended) : Date.now()) - Date.parse(ph.started)) / 1000), ")") : null)))] : null,
      p.operationCounts ? [h("h3", {}, "Operations"),
        table(["Operation", ["Count", "num"]], Object.entries(p.operationCounts).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", { class: "num" }, fmtNum(v)))), "Operation counts")] : null);
  };
  renderHead();
  renderProgress(await get(`/api/v1/activities/${encodeURIComponent(id)}/progress`).catch(() => ({})));
  if (!DONE.has(activity.status)) {
    const stream = watch(`/api/v1/activities/${encodeURIComponent(id)}/watch`, (p) => {
      renderProgress(p);
      if (p.status !== activity.status) {
        get(`/api/v1/activities/${encodeURIComponent(id)}`).then((a) => { activity = a; if (ctx.alive()) renderHead(); }).catch((e) => banner(explain(e)));
      }
    }, () => {});
    ctx.onCleanup(() => stream.close());
  }
}
