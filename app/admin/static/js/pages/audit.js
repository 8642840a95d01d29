// Audit: row changes with their old -> new diff, filterable; and the access log.

import { api } from "../api.js";
import { clear, field, h, instant, show, table, when } from "../dom.js";
import { DOMAIN_MODULES } from "../session.js";
import { pager } from "./users.js";

const PAGE_SIZE = 20;
const ENTITY_TYPES = [...DOMAIN_MODULES, "roles", "role_grants", "user_roles"];

export async function render(view, [tab]) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const access = tab === "access";
  const tabs = h(
    "nav",
    { class: "tabs", "aria-label": "Audit views" },
    h("a", { href: "#/audit", "aria-current": !access && "page" }, "Changes"),
    h("a", { href: "#/audit/access", "aria-current": access && "page" }, "Access log"),
  );
  clear(view, h("h1", {}, "Audit"), tabs, await (access ? accessLog(params) : changes(params)));
}

// An ISO instant as a datetime-local input shows it: in the browser's time zone.
function localInput(iso) {
  const at = new Date(iso);
  return new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

// A filter form whose fields become the fragment's query.
function filters(base, params, controls) {
  const submit = (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, control] of Object.entries(controls)) {
      const value = control.type === "datetime-local" ? instant(control.value) : control.value;
      if (value) query.set(name, value);
    }
    location.hash = `${base}?${query}`;
  };
  for (const [name, control] of Object.entries(controls)) {
    const value = params.get(name);
    if (value) control.value = control.type === "datetime-local" ? localInput(value) : value;
  }
  return h(
    "form",
    { class: "inline filters", on: { submit } },
    Object.entries(controls).map(([name, control]) => field(control.dataset.label, control)),
    h("button", { type: "submit" }, "Filter"),
  );
}

function select(label, options) {
  return h(
    "select",
    { "data-label": label },
    h("option", { value: "" }, "any"),
    options.map((o) => h("option", { value: o }, o)),
  );
}

function input(label, attrs = {}) {
  return h("input", { "data-label": label, ...attrs });
}

function query(params) {
  return Object.fromEntries(params.entries());
}

function page(base, params, total) {
  const skip = Number(params.get("skip") || 0);
  return pager(skip, total, (next) => {
    params.set("skip", next);
    location.hash = `${base}?${params}`;
  });
}

async function changes(params) {
  const form = filters("#/audit", params, {
    entity_type: select("Module", ENTITY_TYPES),
    action: select("Action", ["INSERT", "UPDATE", "DELETE"]),
    actor_id: input("Actor id", { type: "number", min: 1 }),
    entity_id: input("Record id", { type: "number", min: 1 }),
    since: input("Since", { type: "datetime-local" }),
    until: input("Until", { type: "datetime-local" }),
  });
  const { items, total } = await api.list("/audit/changes", { ...query(params), limit: PAGE_SIZE });
  const rows = items.map((change) =>
    h(
      "tr",
      {},
      h("td", {}, when(change.created_at)),
      h("td", {}, change.action),
      h("td", {}, record(change)),
      h("td", {}, change.actor_id ?? "system"),
      h("td", {}, diff(change)),
    ),
  );
  return h(
    "div",
    {},
    form,
    table(["When", "Action", "Record", "Actor", "Change"], rows, `${total} change(s)`),
    page("#/audit", params, total),
  );
}

function record(change) {
  const label = `${change.entity_type} #${change.entity_id ?? "?"}`;
  return DOMAIN_MODULES.includes(change.entity_type) && change.entity_id
    ? h("a", { href: `#/history/${change.entity_type}/${change.entity_id}` }, label)
    : label;
}

// Field by field: old -> new for an update, the values written or removed for an insert or delete.
export function diff(change) {
  const before = change.old_values || {};
  const after = change.new_values || {};
  const fields = change.changed_fields || Object.keys({ ...before, ...after });
  return h(
    "dl",
    { class: "diff" },
    fields.map((name) => [
      h("dt", {}, name),
      h(
        "dd",
        {},
        name in before ? h("del", {}, show(before[name])) : null,
        name in before && name in after ? " → " : null,
        name in after ? h("ins", {}, show(after[name])) : null,
      ),
    ]),
  );
}

async function accessLog(params) {
  const form = filters("#/audit/access", params, {
    user_id: input("User id", { type: "number", min: 1 }),
    path: input("Path", { placeholder: "/users/3" }),
    status_code: input("Status", { type: "number", min: 100, max: 599 }),
    since: input("Since", { type: "datetime-local" }),
    until: input("Until", { type: "datetime-local" }),
  });
  const { items, total } = await api.list("/audit/access", { ...query(params), limit: PAGE_SIZE });
  const rows = items.map((entry) =>
    h(
      "tr",
      {},
      h("td", {}, when(entry.created_at)),
      h("td", {}, entry.user_id ?? ""),
      h("td", {}, entry.method),
      h("td", {}, entry.path),
      h("td", {}, entry.status_code),
      h("td", {}, `${Math.round(entry.duration_ms)} ms`),
      h("td", {}, entry.ip || ""),
    ),
  );
  const headings = ["When", "User", "Method", "Path", "Status", "Time", "IP"];
  return h("div", {}, form, table(headings, rows, `${total} request(s)`), page("#/audit/access", params, total));
}
