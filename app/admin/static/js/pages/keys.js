// The signed-in user's API keys: list, create (optionally limited), revoke. A key is shown once.

import { api } from "../api.js";
import { clear, field, h, table, when } from "../dom.js";
import { catalogue, describeGrants, matrix } from "../matrix.js";
import { attempt } from "../ui.js";

export async function render(view) {
  const keys = await api.get("/auth/api-keys");
  const reload = () => render(view);
  const rows = keys.map((key) =>
    h(
      "tr",
      {},
      h("td", {}, key.name),
      h("td", {}, h("code", {}, `${key.prefix}…`)),
      h("td", {}, key.permissions ? describeGrants(key.permissions) : "all of yours"),
      h("td", {}, when(key.expires_at) || "never"),
      h("td", {}, when(key.last_used_at) || "never"),
      h("td", {}, h("button", { type: "button", class: "danger", on: { click: () => revoke(key, reload) } }, "Revoke")),
    ),
  );
  clear(
    view,
    h("h1", {}, "API keys"),
    table(["Name", "Key", "Permissions", "Expires", "Last used", ""], rows, "Your keys"),
    await createForm(view),
  );
}

async function revoke(key, reload) {
  if (await attempt(() => api.delete(`/auth/api-keys/${key.id}`), `Key ${key.name} revoked.`)) await reload();
}

async function createForm(view) {
  const name = h("input", { name: "name", required: true, maxlength: 100 });
  const expires = h("input", { type: "date", name: "expires_at" });
  const limit = h("input", { type: "checkbox", name: "limit" });
  const grid = matrix(await catalogue(), {});
  const limits = h("div", { hidden: true }, grid.node);
  limit.addEventListener("change", () => (limits.hidden = !limit.checked));
  const submit = async (event) => {
    event.preventDefault();
    const body = { name: name.value };
    if (expires.value) body.expires_at = new Date(`${expires.value}T00:00:00Z`).toISOString();
    if (limit.checked) body.permissions = grid.value();
    let created;
    if (await attempt(async () => (created = await api.post("/auth/api-keys", body)), `Key ${body.name} created.`)) {
      await render(view);
      view.prepend(shown(created));
    }
  };
  return h(
    "form",
    { class: "card", on: { submit } },
    h("h2", {}, "New key"),
    field("Name", name),
    field("Expires (optional)", expires),
    field("Limit its permissions", limit),
    limits,
    h("button", { type: "submit" }, "Create key"),
  );
}

function shown(created) {
  return h(
    "div",
    { class: "card secret", role: "alert" },
    h("p", {}, "Copy this key now: it is not shown again."),
    h("output", { id: "new-key" }, created.key),
  );
}
