// One sync run: live progress per entity, the attempt chain as a timeline, error, backend, summary.
import { get, post, watch } from "./api.js";
import { add, fill, fmtDuration, fmtNum, h, json, kv, safeUrl, seconds, status, table, timeEl } from "./dom.js";
import { banner, explain } from "./app.js";
import { viewerNote, writeButton } from "./syncs.js";

const ACTIVE = new Set(["pending", "running", "cancelling"]);
const WHY = {
  completed: "completed",
  heartbeat_timeout: "the executor stopped heartbeating (lease ran out)",
  executor_lost: "the executor's stream was lost",
  source_unavailable: "the source was unavailable",
  destination_unavailable: "the destination was unavailable",
  cancelled: "cancelled",
  cancel_timeout: "cancel timed out and was forced",
  egress_refused: "the egress policy refused the target",
};

export function endedWhy(run) {
  if (ACTIVE.has(run.status)) return run.status === "cancelling" ? "Cancel requested, waiting for the executor" : "Still going";
  const code = run.resultReasonCode;
  const parts = [WHY[code] || code || run.status];
  if (run.cancelReason) parts.push(`reason: ${run.cancelReason}`);
  if (run.cancelRequestedBy) parts.push(`by ${run.cancelRequestedBy}`);
  return parts.join(" — ");
}

// Rows per second from successive samples of one counter (what the watch stream gives).
class Rate {
  constructor() { this.samples = new Map(); }
  update(key, rows, at) {
    const prev = this.samples.get(key);
    let rate = prev?.rate ?? null;
    if (prev && at > prev.at && rows >= prev.rows) {
      const now = (rows - prev.rows) / ((at - prev.at) / 1000);
      rate = prev.rate === null ? now : 0.5 * prev.rate + 0.5 * now; // smoothed: batches are lumpy
    }
    this.samples.set(key, { rows, at, rate });
    return rate;
  }
}

function total(entity) {
  for (const k of ["rowsTotal", "totalRows", "rowsExpected", "estimatedRows"]) if (Number(entity?.[k]) > 0) return Number(entity[k]);
  return null;
}

export async function renderRun(main, ctx, runId) {
  let run = await get(`/api/v1/syncs/runs/${encodeURIComponent(runId)}`);
  if (!ctx.alive()) return;
  const sync = await get(`/api/v1/syncs/${run.syncId}`).catch(() => null);
  const head = h("div");
  const progress = h("section", { "aria-labelledby": "progress-h", id: "progress" });
  const chainEl = h("section", { "aria-labelledby": "attempts-h", id: "attempts" });
  const details = h("div");
  const liveNote = h("p", { class: "live off", "aria-live": "polite", id: "run-live" });
  add(main, head, liveNote, progress, chainEl, details);
  const rates = new Rate();
  let chain = [];

  const loadChain = async (current) => {
    // Walk back to the first attempt and forward to the last; each attempt is its own run row.
    const seen = new Map([[current.id, current]]);
    let back = current;
    while (back.previousAttemptRunId && !seen.has(back.previousAttemptRunId) && seen.size < 25) {
      back = await get(`/api/v1/syncs/runs/${back.previousAttemptRunId}`);
      seen.set(back.id, back);
    }
    let fwd = current;
    while (fwd.nextAttemptRunId && !seen.has(fwd.nextAttemptRunId) && seen.size < 25) {
      fwd = await get(`/api/v1/syncs/runs/${fwd.nextAttemptRunId}`);
      seen.set(fwd.id, fwd);
    }
    return [...seen.values()].sort((a, b) => a.attemptNumber - b.attemptNumber);
  };

  const renderHead = () => {
    document.title = `Run ${run.attemptNumber} of ${sync?.name || run.syncId} · syncplane`;
    fill(head, 
      h("p", { class: "note" }, h("a", { href: "#/syncs" }, "Syncs"), " / ",
        h("a", { href: `#/syncs/${run.syncId}` }, sync?.name || run.syncId), " / run"),
      h("h1", {}, "Run of ", sync?.name || "sync", " ", h("span", { id: "run-status", "aria-live": "polite" }, status(run.status))),
      viewerNote(),
      h("div", { class: "actions" },
        ACTIVE.has(run.status) ? writeButton("Cancel run", { id: "cancel-run", class: "danger" }, async () => {
          run = await post(`/api/v1/syncs/runs/${run.id}/cancel`, { reason: "cancelled from the console" });
          renderAll();
        }) : null,
        !ACTIVE.has(run.status) && !run.nextAttemptRunId ? writeButton("Retry", { id: "retry-run", class: "secondary" }, async () => {
          const next = await post(`/api/v1/syncs/runs/${run.id}/retry`, {});
          window.location.hash = `#/runs/${next.id}`;
        }) : null,
        sync ? h("a", { href: `#/syncs/${sync.id}` }, "Sync page") : null));
  };

  const renderProgress = () => {
    const s = run.summary || {};
    const at = Date.parse(run.updatedAt) || Date.now();
    const elapsed = seconds(run.startedAt, ACTIVE.has(run.status) ? null : run.completedAt);
    const entities = Object.entries(s.entities || {});
    const rows = entities.map(([key, e]) => {
      const written = Number(e.rowsWritten ?? 0);
      const rate = ACTIVE.has(run.status) ? rates.update(key, written, at) : null;
      const all = total(e);
      const eta = all && rate > 0 ? (all - written) / rate : null;
      return h("tr", { "data-entity": key },
        h("th", { scope: "row" }, key),
        h("td", {}, e.phase || "—"),
        h("td", { class: "num" }, fmtNum(e.rowsRead)),
        h("td", { class: "num" }, fmtNum(e.rowsWritten)),
        h("td", { class: "num" }, rate === null ? "—" : `${fmtNum(Math.round(rate))}/s`),
        h("td", { class: "num" }, all ? fmtNum(all) : "unknown"),
        h("td", { class: "num" }, eta === null ? (e.phase === "done" ? "done" : "—") : fmtDuration(eta)));
    });
    const overall = elapsed ? Number(s.rowsWritten || 0) / elapsed : null;
    fill(progress, 
      h("h2", { id: "progress-h" }, "Progress"),
      kv([
        ["Phase", s.phase || (ACTIVE.has(run.status) ? "waiting" : "—")],
        ["Rows read", fmtNum(s.rowsRead)],
        ["Rows written", h("span", { id: "rows-written" }, fmtNum(s.rowsWritten))],
        ["Elapsed", fmtDuration(elapsed)],
        ["Average rate", overall === null ? "—" : `${fmtNum(Math.round(overall))} rows/s`],
        s.message ? ["Message", s.message] : null,
      ]),
      rows.length ? table(["Entity", "Phase", ["Rows read", "num"], ["Rows written", "num"], ["Rate", "num"], ["Total", "num"], ["ETA", "num"]], rows, "Progress per entity")
        : h("p", { class: "note" }, "No per-entity progress yet."));
  };

  const renderChain = () => {
    fill(chainEl, 
      h("h2", { id: "attempts-h" }, "Attempts"),
      h("ol", { class: "timeline" }, chain.map((a) => h("li", { class: a.id === run.id ? "current" : null, "data-attempt": a.attemptNumber },
        h("div", {}, h("strong", {}, `Attempt ${a.attemptNumber}`), " ", status(a.status), " ",
          a.id === run.id ? h("span", { class: "note" }, "(this page)") : h("a", { href: `#/runs/${a.id}` }, "open")),
        h("div", { class: "note" }, "Started ", timeEl(a.startedAt || a.createdAt), a.completedAt ? [", ended ", timeEl(a.completedAt), ` after ${fmtDuration(seconds(a.startedAt, a.completedAt))}`] : null,
          a.executorId ? `, on ${a.executorId}` : "", `, triggered by ${a.triggeredBy}`),
        h("div", { class: "why" }, ACTIVE.has(a.status) ? "" : "Why it ended: ", endedWhy(a)),
        a.error ? h("pre", { class: "error" }, a.error) : null))));
  };

  const renderDetails = () => {
    const url = run.backendRunUrl ? safeUrl(run.backendRunUrl) : null;
    fill(details, 
      run.error ? [h("h2", {}, "Error"), h("pre", { class: "error", id: "run-error" }, run.error)] : null,
      h("div", { class: "grid" },
        h("section", { "aria-labelledby": "run-h" }, h("h2", { id: "run-h" }, "Run"),
          kv([
            ["Run id", h("code", {}, run.id)],
            ["Mode", run.runMode],
            ["Triggered by", `${run.triggeredBy}${run.triggerRef ? ` (${run.triggerRef})` : ""}`],
            ["Created", timeEl(run.createdAt)],
            ["Started", timeEl(run.startedAt)],
            ["Completed", timeEl(run.completedAt)],
            ["Result", [run.resultClass, run.resultReasonCode].filter(Boolean).join(" / ") || "—"],
            ["Executor", run.executorId || "—"],
            ["Last heartbeat", timeEl(run.lastHeartbeatAt)],
          ])),
        h("section", { "aria-labelledby": "backend-h", id: "backend" }, h("h2", { id: "backend-h" }, "Execution backend"),
          kv([
            ["Backend", run.executionBackend],
            ["Mode", run.executionMode],
            run.backendRunRef ? ["Backend run", h("code", {}, run.backendRunRef)] : null,
            url ? ["Backend link", h("a", { href: url, target: "_blank", rel: "noopener noreferrer", id: "backend-link" }, url)] : null,
            run.backendHeartbeatAt ? ["Backend heartbeat", timeEl(run.backendHeartbeatAt)] : null,
          ]),
          run.backendStatus && Object.keys(run.backendStatus).length ? [h("h3", {}, "Backend status"), json(run.backendStatus)] : null)),
      h("h2", {}, "Summary"),
      json(run.summary));
  };

  const renderAll = () => { renderHead(); renderProgress(); renderChain(); renderDetails(); };
  chain = await loadChain(run);
  if (!ctx.alive()) return;
  renderAll();

  if (ACTIVE.has(run.status)) {
    liveNote.textContent = "Following live progress…";
    liveNote.className = "live";
    const stream = watch(`/api/v1/syncs/runs/${encodeURIComponent(run.id)}/watch`, async (next) => {
      const moved = next.id !== run.id || next.status !== run.status;
      run = next;
      if (moved) chain = await loadChain(run).catch(() => chain);
      if (!ctx.alive()) return;
      renderAll();
    }, (why) => {
      if (!ctx.alive()) return;
      liveNote.className = "live off";
      if (why === "done") liveNote.textContent = `The run ended: ${run.status}.`;
      else if (why !== "closed") { liveNote.textContent = "The live stream ended."; banner(explain(why)); }
    });
    ctx.onCleanup(() => stream.close());
  }
}
