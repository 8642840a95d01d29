// Users: search and create; one user's details, activation, password and roles.

import { api } from "../api.js";
import { clear, field, h, table, when } from "../dom.js";
import { can, holdsAll, session } from "../session.js";
import { attempt, goTo } from "../ui.js";

const PAGE_SIZE = 20;

export async function render(view, [id]) {
  if (id) return detail(view, Number(id));
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const name = params.get("name") || "";
  const skip = Number(params.get("skip") || 0);
  const path = name ? "/users/search" : "/users";
  const { items, total } = await api.list(path, { name, skip, limit: PAGE_SIZE, sort: "id" });
  const search = h("input", { type: "search", name: "name", value: name, "aria-label": "Name contains" });
  const rows = items.map((user) =>
    h(
      "tr",
      {},
      h("td", {}, user.id),
      h("td", {}, h("a", { href: `#/users/${user.id}` }, user.email)),
      h("td", {}, [user.name, user.surname].filter(Boolean).join(" ")),
      h("td", {}, user.is_active ? "active" : "inactive"),
      h("td", {}, user.is_superuser ? "superuser" : ""),
    ),
  );
  clear(
    view,
    h("h1", {}, "Users"),
    h(
      "form",
      { class: "inline", role: "search", on: { submit: (e) => (e.preventDefault(), go(search.value, 0)) } },
      field("Name contains", search),
      h("button", { type: "submit" }, "Search"),
    ),
    table(["Id", "Email", "Name", "Status", ""], rows, `${total} user(s)`),
    pager(skip, total, (next) => go(name, next)),
    can("users", "create") ? createForm() : null,
  );
}

function go(name, skip) {
  const query = new URLSearchParams({ ...(name && { name }), ...(skip && { skip }) }).toString();
  location.hash = `#/users${query ? `?${query}` : ""}`;
}

export function pager(skip, total, goTo) {
  return h(
    "p",
    { class: "pager" },
    h(
      "button",
      { type: "button", disabled: skip <= 0, on: { click: () => goTo(Math.max(skip - PAGE_SIZE, 0)) } },
      "Previous",
    ),
    ` ${total ? skip + 1 : 0}–${Math.min(skip + PAGE_SIZE, total)} of ${total} `,
    h(
      "button",
      { type: "button", disabled: skip + PAGE_SIZE >= total, on: { click: () => goTo(skip + PAGE_SIZE) } },
      "Next",
    ),
  );
}

function createForm() {
  const inputs = {
    email: h("input", { type: "email", name: "email", required: true }),
    name: h("input", { name: "name", required: true, maxlength: 100 }),
    surname: h("input", { name: "surname", maxlength: 100 }),
    password: h("input", { type: "password", name: "password", minlength: 8, autocomplete: "new-password" }),
  };
  const superuser = h("input", { type: "checkbox", name: "is_superuser" });
  const submit = async (event) => {
    event.preventDefault();
    const body = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value || null]));
    if (session.me.is_superuser) body.is_superuser = superuser.checked;
    let created;
    if (await attempt(async () => (created = await api.post("/users", body)))) {
      goTo(`#/users/${created.id}`, `User ${body.email} created.`);
    }
  };
  return h(
    "form",
    { class: "card", on: { submit } },
    h("h2", {}, "New user"),
    field("Email", inputs.email),
    field("Name", inputs.name),
    field("Surname", inputs.surname),
    field("Password (optional)", inputs.password),
    session.me.is_superuser ? field("Superuser", superuser) : null,
    h("button", { type: "submit" }, "Create user"),
  );
}

async function detail(view, id) {
  const [user, held] = await Promise.all([
    api.get(`/users/${id}`),
    can("roles", "read") ? api.get(`/users/${id}/roles`) : null,
  ]);
  const refresh = () => detail(view, id);
  const self = id === session.me.id;
  // Their email, password, activation and roles are theirs to guard unless you hold all they hold.
  const outranked =
    !session.me.is_superuser && (user.is_superuser || !(held || []).every((role) => holdsAll(role.permissions)));
  const editable = can("users", "update");
  const guarded = editable && !outranked;
  clear(
    view,
    h("p", {}, h("a", { href: "#/users" }, "← All users")),
    h("h1", {}, user.email),
    h(
      "p",
      { class: "muted" },
      `Id ${user.id}, version ${user.version}, created ${when(user.created_at)}, ${user.is_active ? "active" : "inactive"}`,
    ),
    can("audit", "read") ? h("p", {}, h("a", { href: `#/history/users/${id}` }, "History of this user")) : null,
    editable && outranked
      ? h("p", { class: "muted" }, "This user holds permissions you do not: only their name can be changed here.")
      : null,
    editForm(user, editable, guarded, refresh),
    guarded && !self ? activation(user, refresh) : null,
    guarded && !self ? passwordForm(user, refresh) : null,
    held ? await rolesSection(user, held, self || outranked, refresh) : null,
  );
}

function editForm(user, editable, guarded, refresh) {
  const inputs = {
    email: h("input", { type: "email", name: "email", required: true, value: user.email, readonly: !guarded }),
    name: h("input", { name: "name", required: true, value: user.name, readonly: !editable }),
    surname: h("input", { name: "surname", value: user.surname || "", readonly: !editable }),
  };
  const submit = async (event) => {
    event.preventDefault();
    // Only what was changed: an untouched email is not a change of email.
    const changed = Object.entries(inputs).filter(([k, input]) => (input.value || null) !== user[k]);
    const body = Object.fromEntries(changed.map(([k, input]) => [k, input.value || null]));
    if (await attempt(() => api.patch(`/users/${user.id}`, body, user.version), "User saved.")) await refresh();
  };
  return h(
    "form",
    { class: "card", on: { submit } },
    h("h2", {}, "Details"),
    field("Email", inputs.email),
    field("Name", inputs.name),
    field("Surname", inputs.surname),
    editable ? h("button", { type: "submit" }, "Save") : null,
  );
}

function activation(user, refresh) {
  const next = !user.is_active;
  const click = async () => {
    const done = next ? "User activated." : "User deactivated; their sessions ended.";
    if (await attempt(() => api.patch(`/users/${user.id}`, { is_active: next }, user.version), done)) await refresh();
  };
  return h(
    "p",
    {},
    h("button", { type: "button", class: next ? "" : "danger", on: { click } }, next ? "Activate" : "Deactivate"),
  );
}

function passwordForm(user, refresh) {
  const password = h("input", {
    type: "password",
    name: "new-password",
    minlength: 8,
    required: true,
    autocomplete: "new-password",
  });
  const submit = async (event) => {
    event.preventDefault();
    const done = "Password set; the user's sessions ended.";
    if (await attempt(() => api.patch(`/users/${user.id}`, { password: password.value }, user.version), done))
      await refresh();
  };
  return h(
    "form",
    { class: "card inline", on: { submit } },
    field("New password", password),
    h("button", { type: "submit" }, "Set password"),
  );
}

async function rolesSection(user, held, locked, refresh) {
  const all = await api.list("/roles", { limit: 100, sort: "name" });
  const heldIds = new Set(held.map((role) => role.id));
  const writable = can("roles", "update") && !locked;
  // A role you do not hold all of is neither yours to give nor to take away.
  const boxes = all.items.map((role) =>
    h("input", {
      type: "checkbox",
      value: String(role.id),
      checked: heldIds.has(role.id),
      disabled: !writable || !holdsAll(role.permissions),
      "aria-label": role.name,
    }),
  );
  const submit = async (event) => {
    event.preventDefault();
    const role_ids = boxes.filter((box) => box.checked).map((box) => Number(box.value));
    if (await attempt(() => api.put(`/users/${user.id}/roles`, { role_ids }), "Roles saved.")) await refresh();
  };
  return h(
    "form",
    { class: "card", on: { submit } },
    h("h2", {}, "Roles"),
    h(
      "ul",
      { class: "checks" },
      all.items.map((role, i) => h("li", {}, h("label", {}, boxes[i], ` ${role.name}`))),
    ),
    user.id === session.me.id
      ? h("p", { class: "muted" }, "Your own roles are changed by another administrator.")
      : null,
    writable ? h("button", { type: "submit" }, "Save roles") : null,
  );
}
