"""Seed data that ships with the app: preset species and default metric templates
(SPEC.md Appendix A). Loading is idempotent: existing rows are left as they are."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import MetricTemplate, Species

CATEGORY_PREFIX = {
    "flytrap": "VFT", "sundew": "DRO", "pitcher": "SAR", "nepenthes": "NEP",
    "butterwort": "PIN", "bladderwort": "UTR", "other": "CAR",
}

PRESET_SPECIES = [
    ("flytrap", "Venus flytrap", "Dionaea muscipula", "B52"),
    ("sundew", "Cape sundew", "Drosera capensis", ""),
    ("sundew", "Fork-leaved sundew", "Drosera binata", ""),
    ("sundew", "Spoon-leaf sundew", "Drosera spatulata", ""),
    ("sundew", "Pygmy sundew", "Drosera scorpioides", ""),
    ("pitcher", "Purple pitcher plant", "Sarracenia purpurea", ""),
    ("pitcher", "Yellow trumpet", "Sarracenia flava", ""),
    ("pitcher", "White-topped pitcher", "Sarracenia leucophylla", ""),
    ("pitcher", "Cobra lily", "Darlingtonia californica", ""),
    ("nepenthes", "Tropical pitcher", "Nepenthes alata", ""),
    ("nepenthes", "Nepenthes ventricosa", "Nepenthes ventricosa", ""),
    ("nepenthes", "Nepenthes × ventrata", "Nepenthes × ventrata", ""),
    ("butterwort", "Mexican butterwort", "Pinguicula moranensis", ""),
    ("butterwort", "Giant butterwort", "Pinguicula gigantea", ""),
    ("butterwort", "Common butterwort", "Pinguicula vulgaris", ""),
    ("bladderwort", "Sanderson's bladderwort", "Utricularia sandersonii", ""),
    ("bladderwort", "Livid bladderwort", "Utricularia livida", ""),
    ("other", "Albany pitcher", "Cephalotus follicularis", ""),
    ("other", "Sun pitcher", "Heliamphora minor", ""),
    ("other", "Rainbow plant", "Byblis liniflora", ""),
]

COLOURS = ["green", "blushed", "red", "deep red"]


def _field(key, label, type_, unit=None, min_=None, max_=None, choices=None, required=False):
    return {"key": key, "label": label, "type": type_, "unit": unit, "min": min_, "max": max_,
            "choices": choices, "required": required}


def default_fields(category: str) -> list[dict]:
    trap_label = {"flytrap": "Traps", "pitcher": "Pitchers", "nepenthes": "Pitchers",
                  "sundew": "Active traps (dewy leaves)", "bladderwort": "Bladders"}
    return [
        _field("leaf_count", "Leaves", "int", None, 0, 500),
        _field("trap_count", trap_label.get(category, "Traps / pitchers"), "int", None, 0, 500),
        _field("diameter_mm", "Rosette / clump diameter", "float", "mm", 0, 2000),
        _field("height_mm", "Height", "float", "mm", 0, 3000),
        _field("vigour", "Vigour", "int", "1–5", 1, 5, required=True),
        _field("colour", "Colouration", "choice", None, choices=COLOURS),
        _field("flowering", "Flowering", "bool"),
    ]


def ensure_presets(session: Session) -> tuple[int, int]:
    """Insert missing preset species and templates. Returns (species added, templates added)."""
    existing = {(s.common_name, s.scientific_name)
                for s in session.scalars(select(Species)).all()}
    added_species = 0
    for category, common, scientific, cultivar in PRESET_SPECIES:
        if (common, scientific) not in existing:
            session.add(Species(category=category, common_name=common,
                                scientific_name=scientific, default_cultivar=cultivar,
                                is_preset=True))
            added_species += 1
    templates = set(session.scalars(select(MetricTemplate.category)).all())
    added_templates = 0
    for category, prefix in CATEGORY_PREFIX.items():
        if category not in templates:
            session.add(MetricTemplate(category=category, code_prefix=prefix,
                                       fields=default_fields(category)))
            added_templates += 1
    session.flush()
    return added_species, added_templates
