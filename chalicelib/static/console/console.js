// The console's start: sign-in, the pages the key's role reaches, and the refresh loop.
// GET /me says who the key is and which routes its role reaches; a page, a figure or a button
// the key could not use is not shown. Figures refresh every few seconds while the tab is
// visible, and not at all while it is hidden.

import { AlertsPage } from "./alerts.js";
import { api, forgetKey, may, saveKey, savedKey } from "./api.js";
import { AuditPage } from "./audit.js";
import { el, fill } from "./dom.js";
import { IntegrationsPage } from "./integrations.js";
import { OverviewPage } from "./overview.js";
import { RulesPage } from "./rules.js";
import { SilencesPage } from "./silences.js";
import { UploadsPage } from "./uploads.js";

const REFRESH_MS = 5000;
const PAGES = [
  { id: "overview", title: "Overview", make: (me) => new OverviewPage(me), allowed: () => true },
  {
    id: "alerts",
    title: "Alerts",
    make: (me) => new AlertsPage(me),
    allowed: (me) => may(me, "GET", "/alerts"),
  },
  {
    id: "uploads",
    title: "Uploads",
    make: (me) => new UploadsPage(me),
    allowed: (me) => may(me, "GET", "/uploads") || may(me, "POST", "/uploads"),
  },
  {
    id: "rules",
    title: "Rules",
    make: (me) => new RulesPage(me),
    allowed: (me) => may(me, "GET", "/rules"),
  },
  {
    id: "silences",
    title: "Silences",
    make: (me) => new SilencesPage(me),
    allowed: (me) => may(me, "GET", "/silences"),
  },
  {
    id: "integrations",
    title: "Integrations",
    make: (me) => new IntegrationsPage(me),
    allowed: (me) => may(me, "POST", "/events") || may(me, "GET", "/rejections"),
  },
  {
    id: "audit",
    title: "Audit",
    make: (me) => new AuditPage(me),
    allowed: (me) => may(me, "GET", "/audit"),
  },
];

const $ = (id) => document.getElementById(id);
let me = null;
let current = null;
let timer = null;
let refreshes = 0;

function start() {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("key").value.trim();
    $("key").value = "";
    signIn(key, "That key was not accepted: check it and try again.");
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  window.addEventListener("hashchange", () => me && showPage());
  document.addEventListener("visibilitychange", () => {
    stopRefreshing();
    if (!document.hidden) {
      refreshNow();
      keepRefreshing();
    }
  });
  const saved = savedKey();
  if (saved) signIn(saved, "The key kept in this tab is no longer accepted: sign in again.");
  else signOut("");
}

async function signIn(key, refusal) {
  try {
    me = await api("me", { key });
  } catch (error) {
    signOut(error.status === 401 ? refusal : `The API did not answer: ${error.message}`);
    return;
  }
  saveKey(key);
  $("login").hidden = true;
  $("sign-out").hidden = false;
  const sources = me.sources.length ? ` · ${me.sources.join(", ")}` : "";
  fill($("who"), `${me.name} · ${me.role}${sources}`);
  showPage();
}

function signOut(reason) {
  stopRefreshing();
  forgetKey();
  me = null;
  current = null;
  fill($("page"));
  fill($("who"));
  fill($("status"));
  $("page").hidden = true;
  $("nav").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = reason;
  $("key").focus();
}

function showPage() {
  const allowed = PAGES.filter((page) => page.allowed(me));
  const wanted = location.hash.slice(1);
  const page = allowed.find((one) => one.id === wanted) || allowed[0];
  fill(
    $("nav"),
    allowed.map((one) =>
      el("a", { href: `#${one.id}`, "aria-current": one === page ? "page" : null }, one.title),
    ),
  );
  $("nav").hidden = false;
  current = page.make(me);
  fill($("page"), current.root);
  $("page").hidden = false;
  document.body.dataset.page = page.id;
  stopRefreshing();
  refreshNow();
  keepRefreshing();
}

async function refreshNow() {
  const page = current;
  if (!page || document.hidden) return;
  try {
    await page.refresh();
    if (page !== current) return;
    refreshes += 1;
    document.body.dataset.refreshes = String(refreshes);
    $("status").className = "status";
    $("status").textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
  } catch (error) {
    if (error.status === 401) {
      signOut("The key is no longer accepted: sign in again.");
      return;
    }
    $("status").className = "status error";
    $("status").textContent = `Could not refresh: ${error.message}`;
  }
}

function keepRefreshing() {
  if (!document.hidden && timer === null) timer = setInterval(refreshNow, REFRESH_MS);
}

function stopRefreshing() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

start();
