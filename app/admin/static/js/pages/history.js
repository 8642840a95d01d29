// A record's history: every version with its changes, revert to one, restore a deleted record.

import { api } from "../api.js";
import { append, clear, field, h, table, when } from "../dom.js";
import { DOMAIN_MODULES, can } from "../session.js";
import { attempt } from "../ui.js";
import { diff } from "./audit.js";

export async function render(view, [module, id]) {
  clear(view, h("h1", {}, "History"), chooser(module, id));
  if (!module || !id) return;
  const response = await api.list(`/${module}/${id}/history`, { limit: 100 });
  const entries = response.items;
  const latest = entries[0];
  const deleted = latest?.action === "DELETE";
  const reload = () => render(view, [module, id]);
  const revertable = !deleted && (can(module, "update") || can(module, "update", "own"));
  const rows = entries.map((entry, index) =>
    h(
      "tr",
      {},
      h("td", {}, `v${entry.version}`),
      h("td", {}, entry.action),
      h("td", {}, when(entry.at)),
      h("td", {}, entry.actor_id ?? "system"),
      h("td", {}, diff(asChange(entry))),
      h(
        "td",
        {},
        revertable && index > 0 && entry.action !== "DELETE" ? revertButton(module, id, entry.version, reload) : null,
      ),
    ),
  );
  append(view, [
    h("h2", {}, `${module} #${id}${deleted ? " (deleted)" : ""}`),
    deleted && can(module, "create") ? restoreButton(module, id, reload) : null,
    table(["Version", "Action", "When", "Actor", "Changes", ""], rows, `${response.total} version(s)`),
  ]);
}

function chooser(module, id) {
  const moduleSelect = h(
    "select",
    { name: "module" },
    DOMAIN_MODULES.map((m) => h("option", { value: m, selected: m === module }, m)),
  );
  const idInput = h("input", { type: "number", name: "id", min: 1, required: true, value: id || "" });
  const submit = (event) => {
    event.preventDefault();
    location.hash = `#/history/${moduleSelect.value}/${idInput.value}`;
  };
  return h(
    "form",
    { class: "inline", on: { submit } },
    field("Module", moduleSelect),
    field("Id", idInput),
    h("button", { type: "submit" }, "Show history"),
  );
}

// A history entry's `changes` ({field: {old, new}}) in the shape the audit diff shows.
function asChange(entry) {
  const fields = Object.keys(entry.changes || {});
  const pick = (side) =>
    Object.fromEntries(fields.filter((f) => side in entry.changes[f]).map((f) => [f, entry.changes[f][side]]));
  const old_values = entry.action === "INSERT" ? null : pick("old");
  const new_values = entry.action === "DELETE" ? null : pick("new");
  return { old_values, new_values, changed_fields: fields };
}

function revertButton(module, id, version, reload) {
  const click = async () => {
    if (await attempt(() => api.post(`/${module}/${id}/revert`, { version }), `Reverted to version ${version}.`))
      await reload();
  };
  return h("button", { type: "button", on: { click } }, `Revert to v${version}`);
}

function restoreButton(module, id, reload) {
  const click = async () => {
    if (await attempt(() => api.post(`/${module}/${id}/restore`), `${module} #${id} restored.`)) await reload();
  };
  return h("p", {}, h("button", { type: "button", on: { click } }, "Restore"));
}
