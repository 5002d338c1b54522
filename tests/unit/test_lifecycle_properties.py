"""Property-based test of the project lifecycle on a real SQLite database.

Hypothesis drives random sequences of create, claim, progress, complete, fail, lose, release,
cancel, delete and lease expiry from two workers. After every step the test checks three things.
Only legal transitions happened, and a finished project never changed again. Each account's balance
equals the sum of its ledger and also what its live projects were charged.
"""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy import select, update

from darkroom.errors import Conflict, InsufficientCredits
from darkroom.projects import accounts, credits
from darkroom.projects.lifecycle import TRANSITIONS
from darkroom.projects.service import ProjectService
from darkroom.projects.work import ProjectWork
from darkroom.renderers.base import ModelPaths
from darkroom.renderers.images import ImageLimits
from darkroom.renderers.registry import get_tool
from darkroom.storage import LocalStorage
from darkroom.store import Database, upgrade
from darkroom.store.models import Asset, Project, utcnow
from darkroom.wire.projects import ProjectStatus
from imaging import png_of_size

INITIAL_CREDITS = 600
WORKERS = ("worker-a", "worker-b")
MAX_ATTEMPTS = 3


class LifecycleMachine(RuleBasedStateMachine):
    projects = Bundle("projects")

    def __init__(self):
        super().__init__()
        self.folder = _new_folder()
        self.db = Database(f"sqlite:///{self.folder / 'db.sqlite'}")
        upgrade(self.db)
        storage = LocalStorage(self.folder / "storage", b"secret")
        self.service = ProjectService(self.db, storage, ModelPaths(), ImageLimits())
        self.work = ProjectWork(self.db, lease_s=60, max_attempts=MAX_ATTEMPTS)
        self.account = accounts.create_account(self.db, "property", INITIAL_CREDITS).account_id
        self.asset = "api-assets/input.png"
        storage.put_bytes(self.asset, png_of_size(16, 16))
        with self.db.write() as session:
            session.add(Asset(path=self.asset, account_id=self.account))
        self.tool = get_tool("ai-image-upscaler")
        self.known: dict[str, str] = {}

    @rule(target=projects, scale=st.sampled_from([2, 4]), mode=st.sampled_from(["preserve", "balanced"]))
    def create(self, scale, mode):
        request = self.tool.request_model.model_validate(
            {"assets": {"image_file_path": self.asset}, "scale_factor": scale, "style": {"mode": mode}}
        )
        try:
            project = self.service.create(self.account, self.tool, request).project
        except InsufficientCredits:
            return "missing"
        self.known[project.id] = project.status
        return project.id

    @rule(worker=st.sampled_from(WORKERS))
    def claim(self, worker):
        self.work.claim(worker, ["cpu", "gpu"])

    @rule(project_id=projects, worker=st.sampled_from(WORKERS), progress=st.floats(0, 1))
    def heartbeat(self, project_id, worker, progress):
        self.work.heartbeat(project_id, worker, progress)

    @rule(project_id=projects, worker=st.sampled_from(WORKERS))
    def complete(self, project_id, worker):
        self.work.complete(project_id, worker, [f"projects/{project_id}/outputs/{project_id}-0.png"])

    @rule(project_id=projects, worker=st.sampled_from(WORKERS))
    def fail(self, project_id, worker):
        self.work.fail(project_id, worker, "invalid_image_file", "broken")

    @rule(project_id=projects, worker=st.sampled_from(WORKERS))
    def lose(self, project_id, worker):
        self.work.lose(project_id, worker, "render process killed")

    @rule(project_id=projects, worker=st.sampled_from(WORKERS))
    def release(self, project_id, worker):
        self.work.release(project_id, worker)

    @rule(project_id=projects)
    def cancel(self, project_id):
        if project_id == "missing":
            return
        try:
            self.service.cancel(self.account, project_id)
        except Conflict:
            assert ProjectStatus(self._status(project_id)).is_final

    @rule(project_id=projects)
    def delete(self, project_id):
        if project_id != "missing":
            self.service.delete(self.account, project_id)

    @rule()
    def leases_expire(self):
        with self.db.write() as session:
            session.execute(
                update(Project).where(Project.status == "rendering")
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        self.work.reap_expired_leases()

    @invariant()
    def only_legal_transitions(self):
        for project_id, before in self.known.items():
            after = self._status(project_id)
            if after != before:
                assert ProjectStatus(after) in TRANSITIONS[ProjectStatus(before)], f"{before} -> {after}"
                self.known[project_id] = after

    @invariant()
    def balance_matches_ledger_and_charges(self):
        with self.db.read() as session:
            balance = accounts.balance(self.db, self.account)
            charged = sum(session.scalars(select(Project.credits_charged).where(Project.account_id == self.account)))
            assert balance == credits.ledger_sum(session, self.account)
        assert balance >= 0
        assert balance + charged == INITIAL_CREDITS

    @invariant()
    def outcomes_are_consistent(self):
        with self.db.read() as session:
            for project in session.scalars(select(Project)):
                assert project.attempts <= MAX_ATTEMPTS
                if project.status in ("error", "canceled"):
                    assert project.credits_charged == 0
                if project.status == "error":
                    assert project.error_code
                if project.status == "rendering":
                    assert project.worker_id in WORKERS
                    assert project.lease_expires_at is not None
                else:
                    assert project.worker_id is None
                if not project.enabled:
                    assert ProjectStatus(project.status).is_final

    def teardown(self):
        self.db.dispose()

    def _status(self, project_id: str) -> str:
        with self.db.read() as session:
            return session.scalar(select(Project.status).where(Project.id == project_id))


_folders = []


def _new_folder():
    import tempfile
    from pathlib import Path

    folder = tempfile.TemporaryDirectory(prefix="darkroom-property-")
    _folders.append(folder)
    return Path(folder.name)


LifecycleMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_lifecycle_machine = LifecycleMachine.TestCase


@pytest.fixture(autouse=True, scope="module")
def _clean_folders():
    yield
    for folder in _folders:
        folder.cleanup()
