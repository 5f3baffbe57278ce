// The console's shell: sign-in state, hash routing (every screen has a URL), and the banner.
import { get, session } from "./api.js";
import { add, clear, h } from "./dom.js";
import { renderSignIn } from "./signin.js";
import { renderRuns } from "./runs.js";
import { renderSync, renderSyncs } from "./syncs.js";
import { renderRun } from "./run.js";
import { renderActivity, renderExecution, renderIdentity } from "./identity.js";
import { renderJobRun, renderJobs } from "./jobs.js";
import { renderExecutors } from "./executors.js";

const ROUTES = [
  [/^\/$/, "runs", renderRuns],
  [/^\/syncs$/, "syncs", renderSyncs],
  [/^\/syncs\/([^/]+)$/, "syncs", renderSync],
  [/^\/runs\/([^/]+)$/, "syncs", renderRun],
  [/^\/identity$/, "identity", renderIdentity],
  [/^\/identity\/activities\/([^/]+)$/, "identity", renderActivity],
  [/^\/identity\/schedule-executions\/([^/]+)$/, "identity", renderExecution],
  [/^\/jobs$/, "jobs", renderJobs],
  [/^\/jobs\/runs\/([^/]+)$/, "jobs", renderJobRun],
  [/^\/executors$/, "executors", renderExecutors],
];

const main = document.getElementById("main");
let cleanups = [];
let generation = 0;

export function banner(message, kind = "error") {
  const el = document.getElementById("banner");
  if (!message) { el.hidden = true; clear(el); return; }
  el.className = kind === "info" ? "banner info" : "banner";
  clear(el).append(message);
  el.hidden = false;
}

// A failed write or read, said plainly; 403 names the role.
export function explain(err) {
  if (err?.status === 403) {
    return `Not allowed: ${err.message}. Your key's role (${session.caller?.role || "unknown"}) cannot do this.`;
  }
  return err?.message || String(err);
}

export function parseHash() {
  const raw = window.location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(query) };
}

export function navigate(path, query) {
  const q = query && [...query].length ? `?${query.toString()}` : "";
  window.location.hash = `#${path}${q}`;
}

// Replace the URL's query without a new screen render (filters that are already applied).
export function replaceQuery(path, query) {
  const q = [...query].length ? `?${query.toString()}` : "";
  history.replaceState(null, "", `#${path}${q}`);
}

function setNav(section) {
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.dataset.section === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

function showSignedIn(signedIn) {
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("who").hidden = !signedIn;
  if (signedIn) {
    document.getElementById("who-name").textContent = session.caller.name;
    document.getElementById("who-role").textContent = session.caller.role;
  }
}

async function route() {
  const mine = ++generation;
  for (const fn of cleanups.splice(0)) { try { fn(); } catch { /* already closed */ } }
  banner(null);
  const { path, query } = parseHash();
  if (!session.key || !session.caller) {
    if (session.key && !session.caller) {
      try { session.caller = await get("/api/v1/console/caller"); } catch { session.key = null; }
      if (mine !== generation) return;
    }
    if (!session.caller) {
      showSignedIn(false);
      setNav(null);
      document.title = "Sign in · syncplane";
      renderSignIn(clear(main), { next: path === "/signin" ? "/" : path + (query.toString() ? `?${query}` : ""), onSignedIn });
      return;
    }
  }
  showSignedIn(true);
  const found = ROUTES.map(([re, section, view]) => [path.match(re), section, view]).find(([m]) => m);
  const ctx = {
    onCleanup: (fn) => cleanups.push(fn),
    alive: () => mine === generation,
    query,
    path,
  };
  clear(main);
  if (!found) {
    setNav(null);
    add(main, h("h1", {}, "Not found"), h("p", {}, "No screen at this address. ", h("a", { href: "#/" }, "Go to the runs.")));
    return;
  }
  const [match, section, view] = found;
  setNav(section);
  try {
    await view(main, ctx, ...match.slice(1).map(decodeURIComponent));
  } catch (err) {
    if (mine !== generation) return;
    if (err?.status === 401) return; // sign-in screen already shown
    add(clear(main), h("h1", {}, "Could not load this screen"), h("p", { role: "alert" }, explain(err)));
  }
  if (mine === generation) main.focus({ preventScroll: true });
}

function onSignedIn(caller, next) {
  session.caller = caller;
  window.location.hash = `#${next || "/"}`;
  route();
}

session.onUnauthorized = () => {
  if (!session.caller) return; // signing in: the form says why
  // The key was revoked: back to sign-in, keeping where the user was.
  session.key = null;
  session.caller = null;
  route().then(() => banner("Your API key was refused (revoked or invalid). Sign in again."));
};

document.getElementById("sign-out").addEventListener("click", () => {
  session.key = null;
  session.caller = null;
  window.location.hash = "#/";
  route();
});

window.addEventListener("hashchange", route);
route();
