"""Builds the shared parts (database, storage, dispatch, limits, model paths) from settings, for the API and workers."""

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlparse

from darkroom.projects import dispatch
from darkroom.projects.service import ProjectService
from darkroom.projects.work import ProjectWork
from darkroom.queue.dispatch import Dispatcher, open_dispatcher
from darkroom.renderers.base import ModelPaths
from darkroom.renderers.images import ImageLimits
from darkroom.settings import Settings
from darkroom.storage import Storage, open_storage
from darkroom.store.db import Database


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def db(self) -> Database:
        db = Database(self.settings.resolved_database_url())
        dispatch.connect(db, self.dispatcher)
        return db

    @cached_property
    def dispatcher(self) -> Dispatcher:
        return open_dispatcher(self.settings)

    @cached_property
    def storage(self) -> Storage:
        url = self.settings.resolved_storage_url()
        if urlparse(url).scheme == "s3":
            # S3 presigns URLs with its own credentials, so it needs no secret key file.
            return open_storage(url, s3_options=self._s3_options())
        return open_storage(url, self.settings.resolved_secret_key())

    def _s3_options(self):
        from darkroom.storage.s3 import S3Options

        s = self.settings
        return S3Options(
            endpoint_url=s.s3_endpoint_url,
            public_endpoint_url=s.s3_public_endpoint_url,
            region=s.s3_region,
            access_key_id=s.s3_access_key_id,
            secret_access_key=s.s3_secret_access_key.get_secret_value() if s.s3_secret_access_key else None,
            addressing_style=s.s3_addressing_style,
        )

    @cached_property
    def models(self) -> ModelPaths:
        s = self.settings
        return ModelPaths(upscaler=s.upscaler_model, background=s.background_model, image=s.image_model,
                          landmarks=s.landmark_model, image_steps=s.image_steps,
                          image_guidance_scale=s.image_guidance_scale)

    @cached_property
    def limits(self) -> ImageLimits:
        return ImageLimits(max_side=self.settings.max_input_side, max_pixels=self.settings.max_decoded_pixels)

    @cached_property
    def projects(self) -> ProjectService:
        return ProjectService(self.db, self.storage, self.models, self.limits, self.settings.idempotency_ttl_s,
                              max_upload_bytes=self.settings.max_upload_bytes)

    @cached_property
    def work(self) -> ProjectWork:
        return ProjectWork(self.db, lease_s=self.settings.lease_s, max_attempts=self.settings.max_attempts)

    def redispatch_stale(self) -> list[str]:
        """Publish again queued projects whose broker message may be lost; nothing to do for polling workers."""
        if not self.dispatcher.needs_redispatch:
            return []
        return dispatch.redispatch_stale(self.db, self.dispatcher, self.settings.redispatch_after_s)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
        if "dispatcher" in self.__dict__:
            self.dispatcher.close()
