"""The models installed on this machine: where they are, where they came from, and whether they are intact.

A small JSON registry (`registry.json` in the models folder) records for each model its source repo and
file, size, sha256 and date, so the app can list, re-verify and remove models without re-reading
5 GB files, and the `ask` command and the GUI find a default model. Imported files stay where the user
keeps them (a 5 GB copy would only waste disk); downloads live in the models folder, which the user can
move (`set_models_root`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.settings import load_settings, save_settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
REGISTRY_NAME = "registry.json"

Source = Literal["hub", "import", "hf-cache"]


def no_model_message() -> str:
    return (
        "No model is installed: run `satori-desktop models download Q4_K_M` to get Satori-7B-Round2, or "
        "`satori-desktop models import PATH` to use a GGUF file you already have."
    )


def models_root() -> Path:
    """The models folder: the user's choice if they made one, else the platform's data folder."""
    chosen = load_settings().models_dir
    return Path(chosen) if chosen else paths.models_dir()


def set_models_root(directory: Path) -> None:
    """Make `directory` the models folder from now on (models already installed elsewhere stay there)."""
    save_settings(load_settings().with_changes(models_dir=str(directory.resolve())))


@dataclass
class InstalledModel:
    name: str
    path: Path
    size: int
    sha256: str | None
    source: Source
    added_at: str
    repo_id: str | None = None
    filename: str | None = None
    revision: str | None = None
    quantization: str | None = None
    architecture: str | None = None
    is_satori: bool | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InstalledModel:
        known = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        known["path"] = Path(known["path"])
        return cls(**known)


@dataclass(frozen=True)
class VerifyResult:
    name: str
    ok: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def name_for(filename: str) -> str:
    stem = Path(filename).name
    stem = stem[: -len(".gguf")] if stem.lower().endswith(".gguf") else stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-").lower() or "model"


class ModelStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else models_root()

    @property
    def registry_path(self) -> Path:
        return self.root / REGISTRY_NAME

    # -- registry ------------------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.registry_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"schema_version": SCHEMA_VERSION, "default": None, "models": []}
        except (OSError, ValueError) as exc:
            raise UserFacingError(
                f"The model registry {self.registry_path} cannot be read ({exc}): move it away and import "
                "your models again."
            ) from exc
        data.setdefault("models", [])
        data.setdefault("default", None)
        return data

    def _save(self, data: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        data["schema_version"] = SCHEMA_VERSION
        tmp = self.registry_path.with_name(REGISTRY_NAME + ".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        os.replace(tmp, self.registry_path)

    def models(self) -> list[InstalledModel]:
        return [InstalledModel.from_dict(entry) for entry in self._load()["models"]]

    def find(self, name: str) -> InstalledModel | None:
        wanted = name.lower()
        models = self.models()
        for model in models:
            if model.name == wanted or (model.filename or "").lower() == wanted:
                return model
        matches = [m for m in models if (m.quantization or "").lower() == wanted]
        return matches[0] if len(matches) == 1 else None

    def get(self, name: str) -> InstalledModel:
        model = self.find(name)
        if model is None:
            names = ", ".join(m.name for m in self.models()) or "none"
            raise UserFacingError(
                f"No installed model is called {name!r} (installed: {names}): check the name."
            )
        return model

    def add(self, model: InstalledModel) -> InstalledModel:
        data = self._load()
        data["models"] = [m for m in data["models"] if m["name"] != model.name]
        data["models"].append(model.to_dict())
        if data.get("default") is None:
            data["default"] = model.name
        self._save(data)
        return model

    def unique_name(self, filename: str) -> str:
        base = name_for(filename)
        taken = {m.name for m in self.models()}
        name, counter = base, 2
        while name in taken:
            name, counter = f"{base}-{counter}", counter + 1
        return name

    def default_model(self) -> InstalledModel | None:
        """The model `ask` and the GUI use: the chosen default if its file is still there, else any Satori."""
        data = self._load()
        models = [InstalledModel.from_dict(entry) for entry in data["models"]]
        present = [m for m in models if m.path.is_file()]
        for model in present:
            if model.name == data.get("default"):
                return model
        satori = [m for m in present if m.is_satori]
        preferred = satori or present
        return preferred[0] if preferred else None

    def set_default(self, name: str) -> InstalledModel:
        model = self.get(name)
        data = self._load()
        data["default"] = model.name
        self._save(data)
        return model

    def remove(self, name: str, *, delete_file: bool = True) -> InstalledModel:
        """Forget a model; delete its file only if it lives in the models folder (imports stay the user's)."""
        model = self.get(name)
        data = self._load()
        data["models"] = [m for m in data["models"] if m["name"] != model.name]
        if data.get("default") == model.name:
            data["default"] = data["models"][0]["name"] if data["models"] else None
        if delete_file and self._owns(model.path):
            model.path.unlink(missing_ok=True)
        self._save(data)
        return model

    def _owns(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return True

    def verify(self, name: str) -> VerifyResult:
        """Re-hash a model's file and compare with what was recorded when it was installed."""
        from satori_desktop.models.download import sha256_of_file

        model = self.get(name)
        if not model.path.is_file():
            return VerifyResult(model.name, False, f"{model.path} is missing: download or import it again.")
        size = model.path.stat().st_size
        if size != model.size:
            return VerifyResult(
                model.name,
                False,
                f"{model.path.name} has {size} bytes instead of {model.size}: download it again.",
            )
        if model.sha256 is None:
            return VerifyResult(model.name, True, "size matches (no sha256 was recorded for this file)")
        actual = sha256_of_file(model.path)
        if actual != model.sha256:
            return VerifyResult(
                model.name,
                False,
                f"{model.path.name} is damaged (sha256 {actual[:12]}... instead of {model.sha256[:12]}...): "
                "remove it and download it again.",
            )
        return VerifyResult(model.name, True, "sha256 matches")

    # -- import --------------------------------------------------------------------------------------
    def import_file(self, path: Path, *, copy: bool = False) -> InstalledModel:
        """Register a local GGUF after checking it; returns the model, with warnings for non-Satori files."""
        from satori_desktop.models.download import sha256_of_file
        from satori_desktop.models.gguf_info import check_loadable_model, read_gguf_info

        source = Path(path).expanduser().resolve()
        info = read_gguf_info(source)
        warnings = check_loadable_model(info)
        target = source
        if copy:
            target = self.root / source.name
            self.root.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(self.root).free
            if free < info.shape.file_size_bytes:
                raise UserFacingError(
                    f"Not enough free disk space to copy {source.name} into {self.root} (needs "
                    f"{info.shape.file_size_bytes} bytes, {free} free): import it without --copy instead."
                )
            shutil.copy2(source, target)
        for existing in self.models():
            if existing.path == target:
                self.remove(existing.name, delete_file=False)
        model = InstalledModel(
            name=self.unique_name(source.name),
            path=target,
            size=target.stat().st_size,
            sha256=sha256_of_file(target),
            source="import",
            added_at=now_iso(),
            filename=source.name,
            quantization=info.quantization,
            architecture=info.architecture,
            is_satori=info.is_satori,
            warnings=warnings,
        )
        return self.add(model)
