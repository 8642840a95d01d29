// The module x action matrix of a role (or of an API key's limits), with `:own` scopes.
//
// A cell of a module with owners is a choice of none, `own` or `all`; elsewhere a checkbox.
// `read` is implied by any other grant (the API adds it), so it shows checked and locked then.
// What the signed-in user does not hold cannot be granted by them (the delegation ceiling):
// those choices are disabled.

import { api } from "./api.js";
import { h } from "./dom.js";
import { can, session } from "./session.js";

const ACTIONS = ["read", "create", "update", "delete"];

// GET /rbac/modules when the user may read it; else the modules named in their own permissions.
export async function catalogue() {
  if (can("roles", "read")) return api.get("/rbac/modules");
  const modules = new Map();
  for (const permission of session.me.permissions) {
    const [module, , scope] = permission.split(":");
    const entry = modules.get(module) || { module, actions: ACTIONS, scopes: [] };
    if (scope && !entry.scopes.includes(scope)) entry.scopes.push(scope);
    modules.set(module, entry);
  }
  return [...modules.values()];
}

// "posts: read, create:own; products: read, update": grants in the matrix's order.
export function describeGrants(permissions) {
  const rank = (action) => ACTIONS.indexOf(action.split(":")[0]);
  return Object.entries(permissions)
    .map(([module, actions]) => `${module}: ${[...actions].sort((a, b) => rank(a) - rank(b)).join(", ")}`)
    .join("; ");
}

function cellValue(granted, action) {
  if (granted.includes(action)) return "all";
  return granted.includes(`${action}:own`) ? "own" : "";
}

export function matrix(modules, grants = {}, { readOnly = false } = {}) {
  const rows = modules.map((entry) => row(entry, grants[entry.module] || [], readOnly));
  const node = h(
    "table",
    { class: "matrix" },
    h("caption", {}, "Permissions"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Module"),
        ACTIONS.map((a) => h("th", { scope: "col" }, a)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((r) => r.node),
    ),
  );
  const value = () =>
    Object.fromEntries(rows.map((r) => [r.module, r.value()]).filter(([, actions]) => actions.length));
  return { node, value };
}

function row(entry, granted, readOnly) {
  const { module } = entry;
  const scoped = (entry.scopes || []).includes("own");
  const read = h("input", { type: "checkbox", "aria-label": `${module} read`, checked: granted.length > 0 });
  read.disabled = readOnly || !can(module, "read");
  const cells = entry.actions
    .filter((action) => action !== "read")
    .map((action) => (scoped ? choice(module, action, granted) : box(module, action, granted)));
  const lockRead = () => {
    const implied = cells.some((cell) => cell.get());
    if (implied) read.checked = true;
    read.disabled = readOnly || implied || !can(module, "read");
  };
  for (const cell of cells) {
    cell.control.disabled ||= readOnly;
    cell.control.addEventListener("change", lockRead);
  }
  lockRead();
  const node = h(
    "tr",
    {},
    h("th", { scope: "row" }, module),
    h("td", {}, read),
    cells.map((cell) => h("td", {}, cell.control)),
  );
  const value = () => {
    const actions = cells.map((cell) => cell.get()).filter(Boolean);
    return actions.length || read.checked ? ["read", ...actions] : [];
  };
  return { module, node, value };
}

function box(module, action, granted) {
  const control = h("input", {
    type: "checkbox",
    "aria-label": `${module} ${action}`,
    checked: granted.includes(action),
  });
  control.disabled = !can(module, action);
  return { control, get: () => (control.checked ? action : "") };
}

function choice(module, action, granted) {
  const current = cellValue(granted, action);
  const options = [
    ["", "—", true],
    ["own", "own", can(module, action, "own")],
    ["all", "all", can(module, action)],
  ].map(([value, label, allowed]) => h("option", { value, disabled: !allowed && value !== current }, label));
  const control = h("select", { "aria-label": `${module} ${action}` }, options);
  control.value = current;
  control.disabled = !session.me.is_superuser && options.every((option) => option.disabled || option.value === "");
  const get = () => (control.value === "all" ? action : control.value === "own" ? `${action}:own` : "");
  return { control, get };
}
