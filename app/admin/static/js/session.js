// The signed-in user and what they may do, from GET /auth/me.
//
// The console offers only what these permissions allow; the API checks every request anyway.

import { api } from "./api.js";

export const session = { me: null };

export async function loadMe() {
  session.me = await api.get("/auth/me");
  return session.me;
}

// `can("products", "update")`: holds the permission unscoped; `can(m, a, "own")` accepts `:own` too.
export function can(module, action, scope) {
  const me = session.me;
  if (!me) return false;
  if (me.is_superuser) return true;
  const held = me.permissions;
  return held.includes(`${module}:${action}`) || (scope === "own" && held.includes(`${module}:${action}:own`));
}

export const DOMAIN_MODULES = ["users", "posts", "products", "tasks", "customers"];

// Whether the signed-in user holds every permission of `grants` ({module: [actions]}): the
// delegation ceiling, under which nobody acts on a role or a user more powerful than themselves.
export function holdsAll(grants) {
  return Object.entries(grants).every(([module, actions]) =>
    actions.every((action) => {
      const [name, scope] = action.split(":");
      return can(module, name, scope);
    }),
  );
}
