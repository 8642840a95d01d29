"""The HTTP routes of sign-in, roles and API keys.

Above the rest of app.auth: they declare its dependencies (`require`, the signed-in caller),
which read the API keys and the permission catalogue, so the routes of `rbac` and
`api_keys` live here rather than in those packages.
"""
