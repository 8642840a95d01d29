// Roles: the list, a role's editor (name, description, the permission matrix) and its members.

import { api } from "../api.js";
import { clear, field, h, table } from "../dom.js";
import { catalogue, describeGrants, matrix } from "../matrix.js";
import { can } from "../session.js";
import { attempt, goTo } from "../ui.js";

export async function render(view, [id]) {
  if (id === "new" || id) return editor(view, id === "new" ? null : Number(id));
  const { items } = await api.list("/roles", { limit: 100, sort: "name" });
  const rows = items.map((role) =>
    h(
      "tr",
      {},
      h("td", {}, h("a", { href: `#/roles/${role.id}` }, role.name)),
      h("td", {}, role.description || ""),
      h("td", {}, describeGrants(role.permissions)),
    ),
  );
  clear(
    view,
    h("h1", {}, "Roles"),
    can("roles", "create") ? h("p", {}, h("a", { class: "button", href: "#/roles/new" }, "New role")) : null,
    table(["Name", "Description", "Grants"], rows),
  );
}

async function editor(view, id) {
  const role = id ? await api.get(`/roles/${id}`) : { name: "", description: "", permissions: {} };
  const writable = id ? can("roles", "update") : can("roles", "create");
  const grid = matrix(await catalogue(), role.permissions, { readOnly: !writable });
  const name = h("input", { name: "name", required: true, maxlength: 50, value: role.name, readonly: !writable });
  const description = h("input", {
    name: "description",
    maxlength: 255,
    value: role.description || "",
    readonly: !writable,
  });
  const save = async (event) => {
    event.preventDefault();
    const body = { name: name.value, description: description.value || null, permissions: grid.value() };
    const done = `Role ${body.name} saved.`;
    if (id) {
      if (await attempt(() => api.put(`/roles/${id}`, body, role.version), done)) await editor(view, id);
      return;
    }
    let created;
    if (await attempt(async () => (created = await api.post("/roles", body)))) goTo(`#/roles/${created.id}`, done);
  };
  clear(
    view,
    h("p", {}, h("a", { href: "#/roles" }, "← All roles")),
    h("h1", {}, id ? `Role ${role.name}` : "New role"),
    h(
      "form",
      { class: "card", on: { submit: save } },
      field("Name", name),
      field("Description", description),
      grid.node,
      writable ? h("button", { type: "submit" }, id ? "Save role" : "Create role") : null,
    ),
    id && can("roles", "delete")
      ? h("button", { type: "button", class: "danger", on: { click: () => remove(role) } }, "Delete role")
      : null,
    id ? await members(id) : null,
  );
}

async function remove(role) {
  if (await attempt(() => api.delete(`/roles/${role.id}`, role.version))) goTo("#/roles", `Role ${role.name} deleted.`);
}

async function members(id) {
  if (!can("users", "read")) return null;
  const section = h("section", {}, h("h2", {}, "Members"));
  try {
    const { items, total } = await api.list(`/roles/${id}/users`, { limit: 100 });
    const rows = items.map((user) =>
      h("tr", {}, h("td", {}, h("a", { href: `#/users/${user.id}` }, user.email)), h("td", {}, user.name)),
    );
    section.append(table(["Email", "Name"], rows, `${total} member(s)`));
  } catch (error) {
    section.append(h("p", { class: "muted" }, `Members are not available (${error.message}).`));
  }
  return section;
}
