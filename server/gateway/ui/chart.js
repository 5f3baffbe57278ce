// Rows per run (bars) and run duration (line) over time, drawn as inline SVG by hand.
import { fmtDuration, fmtNum, h, svg } from "./dom.js";

export function runsChart(runs) {
  // Oldest on the left; only runs that ended have a duration worth drawing.
  const points = runs
    .filter((r) => r.startedAt && r.completedAt)
    .map((r) => ({
      at: new Date(r.startedAt),
      rows: Number(r.summary?.rowsWritten ?? 0) || 0,
      secs: (new Date(r.completedAt) - new Date(r.startedAt)) / 1000,
      status: r.status,
    }))
    .sort((a, b) => a.at - b.at);
  if (!points.length) return h("p", { class: "note" }, "No finished runs to chart yet.");
  const W = 860, H = 260, L = 70, R = 70, T = 16, B = 40;
  const iw = W - L - R, ih = H - T - B;
  const maxRows = Math.max(1, ...points.map((p) => p.rows));
  const maxSecs = Math.max(0.001, ...points.map((p) => p.secs));
  const step = iw / points.length;
  const bw = Math.max(2, Math.min(40, step * 0.7));
  const x = (i) => L + step * i + step / 2;
  const yRows = (v) => T + ih - (v / maxRows) * ih;
  const ySecs = (v) => T + ih - (v / maxSecs) * ih;
  const desc = `${points.length} runs from ${points[0].at.toLocaleString()} to ${points[points.length - 1].at.toLocaleString()}; ` +
    `most rows ${fmtNum(maxRows)}, longest ${fmtDuration(maxSecs)}.`;
  const el = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "chart-title chart-desc" },
    svg("title", { id: "chart-title" }, "Rows written per run and run duration"),
    svg("desc", { id: "chart-desc" }, desc),
    svg("line", { class: "axis", x1: L, y1: T + ih, x2: L + iw, y2: T + ih }),
    svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: T + ih }),
    svg("line", { class: "axis", x1: L + iw, y1: T, x2: L + iw, y2: T + ih }),
    svg("text", { x: L - 6, y: T + 10, "text-anchor": "end" }, fmtNum(maxRows)),
    svg("text", { x: L - 6, y: T + ih, "text-anchor": "end" }, "0"),
    svg("text", { x: L + iw + 6, y: T + 10 }, fmtDuration(maxSecs)),
    svg("text", { x: L + iw + 6, y: T + ih }, "0"),
    svg("text", { x: L, y: H - 8 }, points[0].at.toLocaleString()),
    svg("text", { x: L + iw, y: H - 8, "text-anchor": "end" }, points[points.length - 1].at.toLocaleString()),
    points.map((p, i) => svg("rect", { class: "rows", x: x(i) - bw / 2, y: yRows(p.rows), width: bw, height: Math.max(0, T + ih - yRows(p.rows)) },
      svg("title", {}, `${p.at.toLocaleString()}: ${fmtNum(p.rows)} rows in ${fmtDuration(p.secs)} (${p.status})`))),
    svg("polyline", { class: "dur", points: points.map((p, i) => `${x(i)},${ySecs(p.secs)}`).join(" ") }),
    points.map((p, i) => svg("circle", { class: "dot", cx: x(i), cy: ySecs(p.secs), r: 3 })));
  return h("figure", { class: "chart" }, el,
    h("figcaption", { class: "legend" },
      h("span", {}, "bars: rows written per run (left axis)"),
      h("span", {}, "line: run duration (right axis)")));
}
