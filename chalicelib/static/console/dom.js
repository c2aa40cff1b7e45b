// Building the page from API values: every value becomes a text node or an attribute, never
// markup (nothing here parses a string as HTML), so event data, group values and comments
// are shown as the text they are.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  setProps(node, props);
  append(node, children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  append(node, children);
  return node;
}

function setProps(node, props) {
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name === "value" || name === "checked") node[name] = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export function panel(title, body) {
  return el("section", { class: "panel" }, el("h2", {}, title), body);
}

export function table(headings, rows) {
  return el(
    "table",
    {},
    el("thead", {}, el("tr", {}, headings.map((heading) => el("th", {}, heading)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell) => el("td", {}, cell))))),
  );
}

// "2026-12-07T17:47:48.458187Z" → "2026-12-07 17:47:48 UTC"
export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function number(value) {
  return value === null || value === undefined ? "—" : Number(value).toLocaleString("en");
}

// `value` as an address a link may carry: an absolute http(s) URL, else null. Addresses come
// from the API (presigned links, runbooks) and may hold anything: "javascript:" never links.
export function webAddress(value) {
  if (typeof value !== "string" || !value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

// A JSON value as one line of text (group values, event data).
export function compact(value) {
  return JSON.stringify(value ?? null);
}

// Paging through a list by the API's keyset cursor. The API only pages forward (next_cursor),
// so the cursors of the pages before this one are kept in a stack, and "previous" pops one.
// `cursor` is the one this page was read with (null: the first), so a refresh re-reads the
// same page; `restart()` (filters changed) goes back to the first. `turned` re-reads the list.
export class Pager {
  constructor(id, turned, { previous = "Previous page", next = "Next page" } = {}) {
    this.turned = turned;
    this.cursor = null;
    this.before = [];
    this.following = null;
    this.previous = el("button", { type: "button", id: `${id}-previous`,
      onclick: () => this.go(this.before.at(-1) ?? null, this.before.slice(0, -1)) }, previous);
    this.next = el("button", { type: "button", id: `${id}-next`,
      onclick: () => this.go(this.following, [...this.before, this.cursor]) }, next);
    this.label = el("span", { class: "where", id: `${id}-page` });
    this.root = el("div", { class: "pager", hidden: true }, this.previous, this.label, this.next);
  }

  reset() {
    this.cursor = null;
    this.before = [];
  }

  // Filters changed: theirs are other pages, so back to the first.
  async restart() {
    this.reset();
    try {
      await this.turned();
    } catch (error) {
      this.failed(error);
    }
  }

  // After a page is read: where it is, and which way one may go from it.
  shown(page) {
    this.following = page.next_cursor || null;
    this.previous.disabled = !this.before.length;
    this.next.disabled = !this.following;
    this.label.textContent = `Page ${this.before.length + 1}${this.following ? "" : " (last)"}`;
    this.root.hidden = !this.before.length && !this.following;
  }

  async go(cursor, before) {
    const was = [this.cursor, this.before];
    [this.cursor, this.before] = [cursor, before];
    this.previous.disabled = this.next.disabled = true;
    try {
      await this.turned();
    } catch (error) {
      [this.cursor, this.before] = was;
      this.failed(error);
    }
  }

  failed(error) {
    this.previous.disabled = !this.before.length;
    this.next.disabled = !this.following;
    this.label.textContent = `Could not read the page: ${error.message}`;
    this.root.hidden = false;
  }
}
