"""Recipes and lots."""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask_login import current_user
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ..models import Lot, Recipe
from ..services import experiments as exp_service
from ..services import recipes as recipe_service
from ..services.recipes import RECIPE_CODE_MAX
from .framework import endpoint, require_fresh, whole_list
from .schemas import StrictIn

TAG = "Recipes and lots"


class RecipeIn(StrictIn):
    name: str = Field(min_length=1, max_length=120)
    code: str | None = Field(None, max_length=RECIPE_CODE_MAX)
    product: str = Field("", max_length=120)
    concentration: float | None = Field(None, ge=0)
    unit: str = Field("", max_length=24)
    volume_ml: float | None = Field(None, ge=0)
    colour: str | None = None
    notes: str = Field("", max_length=5000)


class RecipePatch(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    code: str | None = Field(None, max_length=RECIPE_CODE_MAX)
    product: str | None = Field(None, max_length=120)
    concentration: float | None = Field(None, ge=0)
    unit: str | None = Field(None, max_length=24)
    volume_ml: float | None = Field(None, ge=0)
    colour: str | None = None
    notes: str | None = Field(None, max_length=5000)


class RecipeOut(BaseModel):
    id: int
    experiment_id: int
    code: str
    name: str
    product: str
    concentration: float | None
    unit: str
    volume_ml: float | None
    colour: str
    notes: str


class LotIn(StrictIn):
    recipe_id: int
    volume_ml: float | None = None
    ec: float | None = None
    ph: float | None = None
    temperature_c: float | None = None
    notes: str = Field("", max_length=5000)


class LotOut(BaseModel):
    id: int
    experiment_id: int
    recipe_id: int
    code: str
    prepared_at: datetime
    volume_ml: float | None
    ec: float | None
    ph: float | None
    temperature_c: float | None
    notes: str


def recipe_out(recipe: Recipe) -> dict:
    return RecipeOut.model_validate(recipe, from_attributes=True).model_dump(mode="json")


def lot_out(lot: Lot) -> dict:
    return LotOut.model_validate(lot, from_attributes=True).model_dump(mode="json")


@endpoint("/experiments/<int:experiment_id>/recipes", "GET", summary="Recipes", tag=TAG,
          response=RecipeOut, many=True, errors=(404,))
def list_recipes(session: Session, experiment_id: int):
    exp_service.get_experiment(session, experiment_id)
    rows = recipe_service.list_recipes(session, experiment_id)
    return whole_list([recipe_out(r) for r in rows])


@endpoint("/experiments/<int:experiment_id>/recipes", "POST", tag=TAG, body=RecipeIn,
          summary="Add a recipe (code suggested: R0, R1…)", response=RecipeOut, status=201,
          errors=(404, 409))
def create_recipe(session: Session, experiment_id: int, body: RecipeIn):
    return recipe_out(recipe_service.create_recipe(
        session, experiment_id=experiment_id, actor=current_user, **body.model_dump()))


@endpoint("/recipes/<int:recipe_id>", "GET", summary="One recipe", tag=TAG, response=RecipeOut,
          etag=True, errors=(404,))
def get_recipe(session: Session, recipe_id: int):
    return recipe_out(recipe_service.get_recipe(session, recipe_id))


@endpoint("/recipes/<int:recipe_id>", "PATCH", summary="Edit a recipe", tag=TAG,
          body=RecipePatch, response=RecipeOut, errors=(404, 409, 412))
def patch_recipe(session: Session, recipe_id: int, body: RecipePatch):
    require_fresh(recipe_out(recipe_service.get_recipe(session, recipe_id)))
    return recipe_out(recipe_service.update_recipe(
        session, recipe_id=recipe_id, actor=current_user, **body.model_dump(exclude_unset=True)))


@endpoint("/recipes/<int:recipe_id>", "DELETE", summary="Delete an unused recipe", tag=TAG,
          status=204, errors=(404, 409, 412))
def delete_recipe(session: Session, recipe_id: int):
    require_fresh(recipe_out(recipe_service.get_recipe(session, recipe_id)))
    recipe_service.delete_recipe(session, recipe_id=recipe_id, actor=current_user)
    return Response(status=204)


@endpoint("/experiments/<int:experiment_id>/lots", "GET", summary="Lots, newest first",
          tag=TAG, response=LotOut, many=True, errors=(404,))
def list_lots(session: Session, experiment_id: int):
    exp_service.get_experiment(session, experiment_id)
    rows = recipe_service.list_lots(session, experiment_id)
    return whole_list([lot_out(lot) for lot in rows])


@endpoint("/experiments/<int:experiment_id>/lots", "POST", summary="Record a mixed lot",
          tag=TAG, body=LotIn, response=LotOut, status=201, errors=(404,))
def create_lot(session: Session, experiment_id: int, body: LotIn):
    return lot_out(recipe_service.create_lot(session, experiment_id=experiment_id,
                                             actor=current_user, **body.model_dump()))
