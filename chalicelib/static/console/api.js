// The API beside the page, called with the key typed at sign-in. Every address is relative to
// the page, so under API Gateway's stage prefix (/api/console) "alerts" is /api/alerts. The key
// lives in this tab's sessionStorage and travels in the Authorization header, never in a URL.

const KEY = "tripline.key";

export function savedKey() {
  return sessionStorage.getItem(KEY);
}

export function saveKey(key) {
  sessionStorage.setItem(KEY, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error;
    super(error ? error.message : (body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// "alerts" with {status: "active", rule: ""} → "alerts?status=active" (empty values left out).
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

export async function api(path, { method = "GET", body, key = savedKey() } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${key}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(new URL(path, document.baseURI), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
    credentials: "omit",
    redirect: "error",
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Whether the key's role reaches `method path`, path as app.py declares it ("/alerts/{alert_id}").
export function may(me, method, path) {
  return me.routes.some(([route, methods]) => route === path && methods.includes(method));
}
