"""The audit trail: change data capture, access log, audit API and cold storage.

Importing this package installs the capture hooks and the bypass guard on every Session
and Engine of the process. Tables opt in with `@auditable` from `app.audit.registry`, an
import of this package: so an audited table can never exist without its hooks, in the
API, the CLI, the seeds and the tests alike.
"""

from app.audit import capture, guard

capture.install()
guard.install()
