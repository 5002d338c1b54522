"""Builds the shared parts (database, storage, limits, model paths) from settings, for the API and workers."""

from dataclasses import dataclass
from functools import cached_property

from darkroom.projects.service import ProjectService
from darkroom.projects.work import ProjectWork
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
        return Database(self.settings.resolved_database_url())

    @cached_property
    def storage(self) -> Storage:
        return open_storage(self.settings.resolved_storage_url(), self.settings.resolved_secret_key())

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
        return ProjectService(self.db, self.storage, self.models, self.limits, self.settings.idempotency_ttl_s)

    @cached_property
    def work(self) -> ProjectWork:
        return ProjectWork(self.db, lease_s=self.settings.lease_s, max_attempts=self.settings.max_attempts)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
