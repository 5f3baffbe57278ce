// The identity dialect: connected systems and run profiles (execute, live), activities, schedules.
import { ApiError, get, post, qs, watch } from "./api.js";
import { add, fill, fmtDuration, fmtNum, h, kv, seconds, status, table, timeEl } from "./dom.js";
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
    h("td", {}, a.connectedSystemRunType || a.targetOperationType,
      a.scheduleExecutionId ? h("div", { class: "note" }, h("a", { href: `#/identity/schedule-executions/${a.scheduleExecutionId}` },
        `${a.scheduledByScheduleName || "schedule"}, step index ${a.scheduleStepIndex ?? 0}`)) : null),
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

function pager(data, tab, extra = {}) {
  const link = (page, text) => h("a", { href: `#/identity?${new URLSearchParams({ tab, ...extra, page })}` }, text);
  return h("div", { class: "pager" },
    data.hasPreviousPage ? link(data.page - 1, "Previous page") : null,
    h("span", { class: "note" }, `Page ${data.page} of ${data.totalPages || 1} (${fmtNum(data.totalCount)} in all)`),
    data.hasNextPage ? link(data.page + 1, "Next page") : null);
}

function trigger(s) {
  if (s.triggerType !== "Cron") return s.triggerType;
  return `Cron ${s.cronExpression || ""}${s.timeZone && s.timeZone !== "UTC" ? ` (${s.timeZone})` : ""}`;
}

async function schedules(body, ctx) {
  const data = await get(`/api/v1/schedules${qs({ page: ctx.query.get("page") || 1, pageSize: 50 })}`);
  const rows = data.items.map((s) => h("tr", { "data-schedule-id": s.id },
    h("td", {}, s.name, s.description ? h("div", { class: "note" }, s.description) : null),
    h("td", {}, trigger(s)),
    h("td", {}, s.isEnabled ? "enabled" : "disabled", s.onStepFailure ? h("div", { class: "note" }, `on step failure: ${s.onStepFailure}`) : null),
    h("td", { class: "num" }, fmtNum(s.stepCount)),
    h("td", {}, timeEl(s.lastRunTime)), h("td", {}, s.nextRunTime ? timeEl(s.nextRunTime) : "—"),
    h("td", {}, s.lastExecutionId
      ? [h("a", { href: `#/identity/schedule-executions/${s.lastExecutionId}` }, status(s.lastExecutionStatus)),
        s.lastExecutionErrorMessage ? h("div", { class: "note" }, s.lastExecutionErrorMessage) : null]
      : "—",
      h("div", {}, h("a", { href: `#/identity?tab=executions&scheduleId=${s.id}`, class: "note" }, "all executions"))),
    h("td", {}, writeButton("Run now", { class: "secondary", "aria-label": `Run ${s.name} now` }, async () => {
      const started = await post(`/api/v1/schedules/${s.id}/run`);
      window.location.hash = `#/identity/schedule-executions/${started.executionId}`;
    }))));
  add(body, rows.length ? table(["Schedule", "Trigger", "State", ["Steps", "num"], "Last run", "Next run", "Last execution", "Action"], rows, "Schedules")
    : h("p", { class: "note" }, "No schedules."), pager(data, "schedules"));
}

async function executions(body, ctx) {
  const scheduleId = ctx.query.get("scheduleId") || "";
  const data = await get(`/api/v1/schedule-executions${qs({ page: ctx.query.get("page") || 1, pageSize: 50, scheduleId })}`);
  const rows = data.items.map((e) => h("tr", { "data-execution-id": e.id },
    h("td", {}, h("a", { href: `#/identity/schedule-executions/${e.id}` }, e.scheduleName || e.id)),
    h("td", {}, status(e.status)),
    // currentStepIndex is a group's stepIndex (indices need not be 0..n-1); totalSteps counts groups.
    h("td", {}, e.currentStepIndex === undefined ? "—" : `step index ${e.currentStepIndex} · ${fmtNum(e.totalSteps)} group${e.totalSteps === 1 ? "" : "s"}`),
    h("td", {}, timeEl(e.queuedAt)), h("td", {}, timeEl(e.completedAt)),
    h("td", {}, [e.initiatedByType, e.initiatedByName].filter(Boolean).join(" ")),
    h("td", {}, e.errorMessage || "—")));
  add(body, scheduleId ? h("p", { class: "note" }, "Executions of one schedule. ", h("a", { href: "#/identity?tab=executions" }, "Show all.")) : null,
    rows.length ? table(["Schedule", "Status", "Group", "Queued", "Completed", "Initiated by", "Error"], rows, "Schedule executions")
      : h("p", { class: "note" }, "No schedule executions."),
    pager(data, "executions", scheduleId ? { scheduleId } : {}));
}

const EXECUTION_ACTIVE = new Set(["Queued", "InProgress"]);

function stepLine(s) {
  const pct = s.percentComplete ?? (s.objectsToProcess ? (100 * s.objectsProcessed) / s.objectsToProcess : null);
  return h("li", { "data-step": `${s.stepIndex}:${s.connectedSystemId}:${s.runProfileId}`, "data-status": s.status, class: s.status === "Running" ? "current" : null },
    h("div", {}, h("strong", {}, s.name || s.runProfileName || s.stepType), ` on ${s.connectedSystemName || `system ${s.connectedSystemId}`} `,
      status(s.status), s.activityId ? [" · ", h("a", { href: `#/identity/activities/${s.activityId}` }, "activity")] : null),
    pct === null ? null : h("div", { class: "step-progress" },
      h("progress", { max: 100, value: pct, "aria-label": `${s.name || s.runProfileName || "Step"} percent complete` }),
      h("span", { class: "note" }, ` ${fmtNum(s.objectsProcessed)} of ${fmtNum(s.objectsToProcess)} objects (${Number(pct).toFixed(0)}%)`)),
    h("div", { class: "note" },
      s.currentPhase ? `Phase: ${s.currentPhase}. ` : "",
      s.startedAt ? ["Started ", timeEl(s.startedAt)] : null,
      s.completedAt ? [", ended ", timeEl(s.completedAt), ` after ${fmtDuration(seconds(s.startedAt, s.completedAt))}`] : null,
      s.startedAt ? ". " : "",
      `On failure: ${s.continueOnFailure ? "continue" : "stop"} (from the ${String(s.failureBehaviourSource || "schedule").toLowerCase()}).`),
    s.errorMessage ? h("pre", { class: "error" }, s.errorMessage) : null,
    s.cancellationReason ? h("div", { class: "note" }, s.cancellationReason) : null);
}

export async function renderExecution(main, ctx, id) {
  const path = `/api/v1/schedule-executions/${encodeURIComponent(id)}`;
  let e;
  try {
    e = await get(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      add(main, h("h1", {}, "Schedule execution"), h("p", { role: "alert", id: "not-found" }, err.message || `No schedule execution ${id}.`));
      return;
    }
    add(main, h("h1", {}, "Schedule execution"), unavailable(err, "Schedule executions"));
    return;
  }
  if (!ctx.alive()) return;
  const head = h("div");
  const live = h("p", { class: "live off", "aria-live": "polite", id: "execution-live" });
  const groupsEl = h("section", { "aria-labelledby": "groups-h", id: "execution-groups" });
  add(main, head, live, groupsEl);
  const ended = !EXECUTION_ACTIVE.has(e.status) && Boolean(e.completedAt);
  const render = () => {
    document.title = `${e.scheduleName || "Schedule execution"} · syncplane`;
    const p = e.progress || {};
    fill(head,
      h("p", { class: "note" }, h("a", { href: "#/identity?tab=executions" }, "Schedule executions"), " / ",
        h("a", { href: `#/identity?tab=executions&scheduleId=${e.scheduleId}` }, e.scheduleName || e.scheduleId)),
      h("h1", {}, e.scheduleName || "Schedule execution", " ", h("span", { id: "execution-status", "aria-live": "polite" }, status(e.status))),
      viewerNote(),
      h("div", { class: "actions" }, EXECUTION_ACTIVE.has(e.status) ? writeButton("Cancel execution", { id: "cancel-execution", class: "danger" }, async () => {
        e = await post(`${path}/cancel`);
        render();
      }) : null),
      e.errorMessage ? h("pre", { class: "error", id: "execution-error" }, e.errorMessage) : null,
      kv([["Group", p.totalSteps ? `${p.currentStepNumber || 0} of ${p.totalSteps}` : "—"],
        ["Queued", timeEl(e.queuedAt)], ["Started", timeEl(e.startedAt)], ["Completed", timeEl(e.completedAt)],
        ["Duration", fmtDuration(seconds(e.startedAt, e.completedAt))],
        ["Initiated by", [e.initiatedByType, e.initiatedByName].filter(Boolean).join(" ")]]));
    // Equal stepIndex = one group, run in parallel; groups in ascending order (the progress says each one's status).
    const groups = new Map((p.steps || []).map((g) => [g.stepIndex, { ...g, members: [] }]));
    for (const s of e.steps || []) {
      if (!groups.has(s.stepIndex)) groups.set(s.stepIndex, { stepIndex: s.stepIndex, members: [] });
      groups.get(s.stepIndex).members.push(s);
    }
    fill(groupsEl,
      h("h2", { id: "groups-h" }, "Steps"),
      h("ol", { class: "timeline" }, [...groups.values()].sort((a, b) => a.stepIndex - b.stepIndex).map((g, i) =>
        h("li", { "data-group": g.stepIndex, "data-status": g.status || "", class: g.stepIndex === e.currentStepIndex && EXECUTION_ACTIVE.has(e.status) ? "current" : null },
          h("div", {}, h("strong", {}, `Group ${i + 1} (step index ${g.stepIndex})`), " ", g.status ? status(g.status) : null,
            g.isParallel ? h("span", { class: "note" }, ` ${g.members.length} steps in parallel`) : null),
          h("ul", { class: "steps" }, g.members.map(stepLine))))));
  };
  render();
  if (ended) return;
  live.textContent = "Following the execution live…";
  live.className = "live";
  const stream = watch(`${path}/watch`, (next) => {
    e = next;
    if (ctx.alive()) render();
  }, (why) => {
    if (!ctx.alive()) return;
    live.className = "live off";
    if (why === "done") live.textContent = `The execution ended: ${e.status}.`;
    else if (why !== "closed") { live.textContent = "The live stream ended."; banner(explain(why)); }
  });
  ctx.onCleanup(() => stream.close());
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
        ["Execution time", fmtDuration(activity.executionTime)], ["Message", activity.message || "—"],
        activity.scheduleExecutionId ? ["Schedule execution", h("a", { href: `#/identity/schedule-executions/${activity.scheduleExecutionId}`, id: "activity-execution" },
          `${activity.scheduledByScheduleName || "schedule"}, step index ${activity.scheduleStepIndex ?? 0}`)] : null]),
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
