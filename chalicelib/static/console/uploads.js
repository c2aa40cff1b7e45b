// Uploads: the list with its filters and the API's cursor, one upload's counts, timings and
// reports, and a form that sends a CSV file from the browser. The file goes to the bucket
// itself, through the presigned POST that POST /uploads grants (fields first, the file last,
// as S3 reads them), so a large file never passes through the API; then the upload is polled
// until its import ends. A key that may not list uploads (ingest) is shown the form and the
// uploads made from this tab only, kept by id in the tab's sessionStorage.

import { api, may, withQuery } from "./api.js";
import { el, fill, number, Pager, panel, table, webAddress, when } from "./dom.js";

const STATUSES = ["awaiting_upload", "importing", "complete", "complete_with_errors", "failed"];
const FINAL = new Set(["complete", "complete_with_errors", "failed"]);
const LIMIT = 25;
const POLL_MS = 1000;
const TAB_UPLOADS = "tripline.uploads";
const TAB_UPLOADS_KEPT = 50;

export class UploadsPage {
  constructor(me) {
    this.me = me;
    this.listable = may(me, "GET", "/uploads");
    this.selected = null;
    this.sources = new Set(me.sources);
    this.detail = new UploadDetail();
    this.form = may(me, "POST", "/uploads")
      ? new UploadForm(me, (id) => this.uploaded(id))
      : null;
    this.list = this.listable
      ? new UploadList((id) => this.select(id), () => this.refresh())
      : null;
    this.tab = this.listable ? null : new TabUploads((id) => this.select(id));
    this.root = el(
      "div",
      { class: "uploads-page" },
      el("h1", {}, "Uploads"),
      this.form && this.form.root,
      this.list && this.list.filters,
      el(
        "div",
        { class: "split" },
        this.list ? panel("Uploads, newest first", this.list.root) : this.tab.root,
        this.detail.root,
      ),
    );
    this.sourcesLoaded = false;
  }

  async refresh() {
    if (!this.sourcesLoaded && may(this.me, "GET", "/rules")) await this.loadSources();
    const shown = this.list ? await this.list.refresh() : await this.tab.refresh();
    for (const upload of shown) this.sources.add(upload.source);
    if (this.form) this.form.offer(this.sources);
    if (this.selected !== null) await this.detail.show(this.selected);
    (this.list || this.tab).mark(this.selected);
  }

  // The sources the rules name, offered as choices; any other source may still be typed.
  async loadSources() {
    const rules = await api("rules");
    for (const rule of rules.items) for (const source of rule.sources) this.sources.add(source);
    this.sourcesLoaded = true;
  }

  async select(id) {
    this.selected = id;
    await this.refresh();
  }

  async uploaded(id) {
    if (this.tab) this.tab.remember(id);
    await this.select(id);
  }
}

class UploadList {
  constructor(onSelect, changed) {
    this.onSelect = onSelect;
    this.status = el(
      "select",
      { name: "status", id: "upload-status-filter" },
      el("option", { value: "" }, "any"),
      STATUSES.map((one) => el("option", { value: one }, one.replaceAll("_", " "))),
    );
    this.source = el("input", {
      name: "source", id: "upload-source-filter", type: "text", placeholder: "any", size: 14,
      list: "upload-sources",
    });
    this.filters = el(
      "form",
      { class: "filters", id: "upload-filters", onsubmit: (event) => event.preventDefault() },
      field("Status", this.status),
      field("Source", this.source),
    );
    this.pager = new Pager("uploads", changed, { previous: "← Newer", next: "Older →" });
    this.filters.addEventListener("change", () => this.pager.restart());
    this.table = el("div", { id: "upload-list" });
    this.root = el("div", {}, this.table, this.pager.root);
  }

  async refresh() {
    const query = {
      status: this.status.value,
      source: this.source.value.trim().toLowerCase(),
      limit: LIMIT,
      cursor: this.pager.cursor,
    };
    const page = await api(withQuery("uploads", query));
    this.pager.shown(page);
    fill(this.table, page.items.length
      ? uploadsTable(page.items, this.onSelect)
      : el("p", { class: "muted" }, "No upload matches these filters."));
    return page.items;
  }

  mark(id) {
    markSelected(this.table, id);
  }
}

// The uploads this tab made, for a key that may read each by id but not list them.
class TabUploads {
  constructor(onSelect) {
    this.onSelect = onSelect;
    this.table = el("div", { id: "tab-uploads" });
    this.root = panel("Uploads from this tab", this.table);
  }

  remember(id) {
    const ids = [id, ...tabUploadIds().filter((one) => one !== id)].slice(0, TAB_UPLOADS_KEPT);
    sessionStorage.setItem(TAB_UPLOADS, JSON.stringify(ids));
  }

  async refresh() {
    const ids = tabUploadIds();
    const found = await Promise.all(ids.map((id) => uploadOrNull(id)));
    const uploads = found.filter((one) => one !== null);
    // an id this key cannot read (another key's, signed in before in this tab) is let go
    sessionStorage.setItem(TAB_UPLOADS, JSON.stringify(uploads.map((one) => one.upload_id)));
    fill(this.table, uploads.length
      ? uploadsTable(uploads, this.onSelect)
      : el("p", { class: "muted" }, "No upload from this tab yet."));
    return uploads;
  }

  mark(id) {
    markSelected(this.table, id);
  }
}

function tabUploadIds() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(TAB_UPLOADS) || "[]");
    return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
}

async function uploadOrNull(id) {
  try {
    return await api(`uploads/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error.status === 404) return null;
    throw error;
  }
}

function uploadsTable(uploads, onSelect) {
  const rows = uploads.map((upload) => [
    el("button", { type: "button", class: "link file", dataset: { upload: upload.upload_id },
      onclick: () => onSelect(upload.upload_id) }, upload.filename),
    upload.source,
    statusBadge(upload.status),
    number(upload.rows.seen),
    number(upload.rows.accepted),
    number(upload.rows.rejected),
    chunkProgress(upload.chunks),
    stamp(upload.timings.created_at),
    stamp(upload.timings.completed_at),
  ]);
  return table(
    ["file", "source", "status", "seen", "accepted", "rejected", "chunks", "created", "finished"],
    rows,
  );
}

// A time in a narrow column: the date over the time of day.
function stamp(iso) {
  const [day, ...rest] = when(iso).split(" ");
  return el("span", { class: "stamp" }, el("span", {}, day), " ", el("span", {}, rest.join(" ")));
}

function markSelected(container, id) {
  for (const row of container.querySelectorAll("tbody tr")) {
    const button = row.querySelector("button[data-upload]");
    row.classList.toggle("selected", Boolean(button) && button.dataset.upload === id);
  }
}

function chunkProgress(chunks) {
  const bar = el("progress", { max: chunks.total || 1, value: chunks.done || 0 });
  if (!chunks.total) bar.removeAttribute("value"); // not yet split: indeterminate
  return el("span", { class: "chunks" }, bar, ` ${number(chunks.done)}/${chunks.total ?? "?"}`);
}

function statusBadge(status) {
  return el("span", { class: `upload-status ${status}` }, status.replaceAll("_", " "));
}

class UploadDetail {
  constructor() {
    this.heading = el("h2", {}, "Select an upload");
    this.facts = el("div", { id: "upload-facts" });
    this.reports = el("div", { id: "upload-reports" });
    this.root = el("section", { class: "panel detail", id: "upload-detail" }, this.heading,
      this.facts, this.reports);
  }

  async show(id) {
    const upload = await api(`uploads/${encodeURIComponent(id)}`);
    fill(this.heading, `${upload.filename} `, statusBadge(upload.status));
    fill(this.facts, facts(upload));
    fill(this.reports, reportLinks(upload.reports));
  }
}

function facts(upload) {
  const { rows, timings } = upload;
  const entries = [
    ["upload", el("code", {}, upload.upload_id)],
    ["source", upload.source],
    ["origin", upload.origin],
    ["size", upload.size === null ? "—" : `${number(upload.size)} bytes`],
    ["rows", `seen ${number(rows.seen)} · accepted ${number(rows.accepted)} (stored ` +
      `${number(rows.stored)}, duplicate ${number(rows.duplicate)}) · rejected ` +
      `${number(rows.rejected)}`],
    ["chunks", chunkProgress(upload.chunks)],
    ["created", when(timings.created_at)],
    ["landed", when(timings.landed_at)],
    ["finished", when(timings.completed_at)],
    ["took", timings.seconds_from_landing === null ? "—"
      : `${timings.seconds_from_landing.toFixed(1)} s from landing`],
  ];
  if (upload.status_reason) entries.push(["reason", el("span", { class: "error",
    id: "upload-reason" }, upload.status_reason)]);
  for (const problem of upload.problems || []) entries.push(["problem", problemText(problem)]);
  return el("dl", { class: "facts" }, entries.map(([name, value]) => [el("dt", {}, name),
    el("dd", {}, value)]));
}

function problemText(problem) {
  const where = [problem.field, problem.line && `line ${problem.line}`].filter(Boolean);
  return `${where.length ? `${where.join(", ")}: ` : ""}${problem.message ?? ""}`;
}

function reportLinks(reports) {
  if (!reports) return null;
  const links = [
    ["rejects-link", "Download the rejected rows (CSV)", reports.rejects_csv],
    ["report-link", "Download the import report (JSON)", reports.report_json],
  ].filter(([, , url]) => webAddress(url));
  if (!links.length) return null;
  return el("ul", { class: "report-links" }, links.map(([id, label, url]) => el("li", {},
    el("a", { id, href: webAddress(url), rel: "noopener noreferrer", target: "_blank" }, label))));
}

// A link from the API is put in an href only when it is http(s): never javascript: or data:.
class UploadForm {
  constructor(me, uploaded) {
    this.uploaded = uploaded;
    this.ownSources = me.sources.length > 0; // a key limited to its sources (ingest)
    this.source = this.ownSources
      ? el("select", { id: "upload-source", name: "source", required: true },
        me.sources.map((one) => el("option", { value: one }, one)))
      : el("input", { id: "upload-source", name: "source", type: "text", required: true,
        list: "upload-sources", placeholder: "e.g. shop", size: 16, autocomplete: "off" });
    this.known = el("datalist", { id: "upload-sources" });
    this.file = el("input", { id: "upload-file", name: "file", type: "file", required: true,
      accept: ".csv,text/csv" });
    this.submit = el("button", { type: "submit", id: "upload-submit" }, "Upload");
    this.progress = el("progress", { id: "upload-progress", max: 1, value: 0, hidden: true });
    this.state = el("p", { id: "upload-state", class: "message", role: "status" });
    this.root = panel("Upload a CSV file", el("form", { id: "upload-form", class: "upload-form",
      onsubmit: (event) => this.send(event) },
    field("Source", this.source), this.known, field("File", this.file), this.submit,
    el("div", { class: "upload-progress" }, this.progress, this.state)));
  }

  // Known sources as the text field's suggestions (the select of an ingest key is fixed).
  offer(sources) {
    if (this.ownSources) return;
    const names = [...sources].sort();
    if (names.join() === [...this.known.options].map((one) => one.value).join()) return;
    fill(this.known, names.map((name) => el("option", { value: name })));
  }

  async send(event) {
    event.preventDefault();
    const file = this.file.files[0];
    const source = this.source.value.trim().toLowerCase();
    if (!file || !source) return this.say("failed", "Choose a source and a CSV file.");
    this.submit.disabled = true;
    let grant = null;
    try {
      this.say("granting", `Asking for an upload form for ${file.name}…`);
      grant = await api("uploads", { method: "POST",
        body: { source, filename: file.name, size: file.size } });
      await this.sendFile(grant, file);
    } catch (error) {
      this.say("failed", `Not uploaded: ${error.message}`);
      return undefined;
    } finally {
      this.submit.disabled = false;
    }
    return this.watch(grant.upload_id);
  }

  async watch(id) {
    try {
      await this.uploaded(id);
      await this.follow(id);
      await this.uploaded(id); // the list and the detail show the end at once
    } catch (error) {
      this.say("unknown", `Sent, but its import could not be followed: ${error.message}`);
    }
  }

  async sendFile(grant, file) {
    this.progress.max = Math.max(file.size, 1);
    this.progress.value = 0;
    this.progress.hidden = false;
    this.say("sending", `Sending ${file.name} to the bucket…`);
    await postToBucket(grant.upload, file, (loaded) => {
      this.progress.value = loaded;
    });
    this.progress.value = this.progress.max;
    this.say("importing", `${file.name} sent; importing…`);
  }

  // Polls the upload until its import ends, while this page is on screen and the tab visible.
  async follow(id) {
    while (this.root.isConnected) {
      if (!document.hidden) {
        const upload = await api(`uploads/${encodeURIComponent(id)}`);
        if (FINAL.has(upload.status)) return this.finished(upload);
        this.say("importing", `${upload.filename}: ${upload.status.replaceAll("_", " ")}, ` +
          `${number(upload.rows.seen)} rows seen, chunks ${number(upload.chunks.done)}/` +
          `${upload.chunks.total ?? "?"}…`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return undefined;
  }

  finished(upload) {
    const { rows } = upload;
    const reason = upload.status_reason ? ` (${upload.status_reason})` : "";
    this.say(upload.status, `${upload.filename}: ${upload.status.replaceAll("_", " ")}${reason}` +
      ` · ${number(rows.seen)} rows seen, ${number(rows.accepted)} accepted, ` +
      `${number(rows.rejected)} rejected`);
    this.state.dataset.rejected = String(rows.rejected);
    this.file.value = "";
  }

  say(state, text) {
    this.state.dataset.state = state;
    this.state.className = state === "failed" ? "message error" : "message";
    this.state.textContent = text;
  }
}

// The file to the bucket as a browser form: the grant's fields first, the file last (S3 ignores
// fields after it). XMLHttpRequest rather than fetch, since only it reports upload progress.
function postToBucket(upload, file, progressed) {
  const url = webAddress(upload.url);
  if (!url || upload.method !== "POST") {
    return Promise.reject(new Error("the API granted no usable upload form"));
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append(upload.file_field || "file", file);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = (event) => progressed(event.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300
      ? resolve()
      : reject(new Error(bucketRefusal(xhr))));
    xhr.onerror = () => reject(new Error("the bucket could not be reached, or refused this " +
      "page's origin"));
    xhr.send(form);
  });
}

// S3's XML error document, e.g. <Error><Code>EntityTooLarge</Code><Message>…</Message></Error>.
function bucketRefusal(xhr) {
  const doc = xhr.responseXML;
  const code = doc && doc.querySelector("Error > Code");
  const message = doc && doc.querySelector("Error > Message");
  const said = [code && code.textContent, message && message.textContent].filter(Boolean);
  return `the bucket answered ${xhr.status}${said.length ? `: ${said.join(": ")}` : ""}`;
}

function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}
