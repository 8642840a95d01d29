// The public API as the console calls it: tokens in sessionStorage, a refresh on expiry.
//
// The tokens are never in a cookie nor in a URL; sessionStorage ends with the tab.

const STORE = "console.tokens";
// This file is served at `<API root>/admin/static/js/api.js`.
export const API_ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function tokens() {
  const stored = sessionStorage.getItem(STORE);
  return stored ? JSON.parse(stored) : null;
}

function keep(pair) {
  sessionStorage.setItem(STORE, JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token }));
}

export function signedIn() {
  return tokens() !== null;
}

export function forget() {
  sessionStorage.removeItem(STORE);
}

export async function signIn(email, password) {
  const response = await call("POST", "/auth/login", { body: { email, password }, anonymous: true });
  keep(response.body);
}

export async function signOut() {
  const logout = () => call("POST", "/auth/logout", { body: { refresh_token: tokens().refresh }, retry: false });
  try {
    if (!tokens()) return;
    try {
      await logout();
    } catch (error) {
      // An expired access token: renewed once, so that the pair in use is the one revoked.
      if (error instanceof ApiError && error.status === 401 && (await refresh())) await logout();
    }
  } finally {
    forget();
  }
}

// One refresh at a time: two would present the same refresh token, and the second is refused.
let refreshing = null;

async function refresh() {
  const held = tokens();
  if (!held) return false;
  refreshing ??= call("POST", "/auth/refresh", { body: { refresh_token: held.refresh }, anonymous: true })
    .then((response) => (keep(response.body), true))
    .catch(() => (forget(), false))
    .finally(() => (refreshing = null));
  return refreshing;
}

function url(path, query) {
  const target = new URL(API_ROOT + path, location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") target.searchParams.set(name, value);
  }
  return target;
}

// One request; a 401 with a held refresh token refreshes once and tries again.
export async function call(method, path, { query, body, headers = {}, anonymous = false, retry = true } = {}) {
  const sent = { Accept: "application/json", ...headers };
  const held = tokens();
  if (!anonymous && held) sent["Authorization"] = `Bearer ${held.access}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const response = await fetch(url(path, query), {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "omit",
  });
  if (response.status === 401 && !anonymous && retry) {
    if (await refresh()) return call(method, path, { query, body, headers, retry: false });
    window.dispatchEvent(new Event("console:signed-out")); // the refresh token is gone or refused
  }
  const parsed = parse(await response.text());
  if (!response.ok) throw new ApiError(response.status, parsed);
  return { status: response.status, body: parsed, headers: response.headers };
}

function parse(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { message: text.slice(0, 200) };
  }
}

export const api = {
  get: async (path, query) => (await call("GET", path, { query })).body,
  list: async (path, query) => {
    const response = await call("GET", path, { query });
    return { items: response.body, total: Number(response.headers.get("X-Total-Count") || 0) };
  },
  post: async (path, body) => (await call("POST", path, { body })).body,
  put: async (path, body, version) => (await call("PUT", path, { body, headers: ifMatch(version) })).body,
  patch: async (path, body, version) => (await call("PATCH", path, { body, headers: ifMatch(version) })).body,
  delete: async (path, version) => (await call("DELETE", path, { headers: ifMatch(version) })).body,
};

function ifMatch(version) {
  return version === undefined ? {} : { "If-Match": `"${version}"` };
}
