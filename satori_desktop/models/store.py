"""The models installed on this machine: where they are, where they came from, and whether they are intact.

A small JSON registry (`registry.json` in the models folder) records for each model its source repo and
file, size, sha256 and date, so the app can list, re-verify and remove models without re-reading
5 GB files, and the `ask` command and the GUI find a default model. Imported files stay where the user
keeps them (a 5 GB copy would only waste disk); downloads live in the models folder, which the user can
move (`set_models_root`): the registry's entries move with it, the files stay where they are.

`verify` re-hashes a file (seconds for 5 GB: it reports the bytes done) and records its verdict, so the
models window can say which files were checked and when. Writes of the registry are serialised, since the
GUI verifies on a worker thread while the user may set a default.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
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

# One registry write at a time in this process (a verify on a worker thread, a new default on the GUI's).
_registry_lock = threading.RLock()


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
    """Make `directory` the models folder from now on. Models already installed stay where they are and
    stay listed: the old folder's registry entries are added to the new folder's registry (files are never
    moved); downloads from now on go to `directory`."""
    target = Path(directory).expanduser().resolve()
    old = ModelStore()
    if old.root.resolve() != target:
        try:
            carried = old._load()
        except UserFacingError as exc:  # a damaged registry must not keep the user in its folder
            log.warning("moving the models folder without the old registry: %s", exc)
            carried = None
        if carried is not None:
            ModelStore(target).adopt(carried)
    save_settings(load_settings().with_changes(models_dir=str(target)))


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
    # The last `verify`: when it ran and whether the file was intact (None: not re-checked since added;
    # a download was checked against the hub's sha256 as it arrived).
    verified_at: str | None = None
    verified_ok: bool | None = None

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
        # Callers hold _registry_lock from their _load() to here, so no write is lost.
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
        with _registry_lock:
            data = self._load()
            data["models"] = [m for m in data["models"] if m["name"] != model.name]
            data["models"].append(model.to_dict())
            if data.get("default") is None:
                data["default"] = model.name
            self._save(data)
        return model

    def adopt(self, registry: dict[str, Any]) -> None:
        """Add another folder's registry entries (files stay where they are; a name or file already listed
        here wins), and its default when this folder has none."""
        with _registry_lock:
            data = self._load()
            names = {m["name"] for m in data["models"]}
            paths = {m["path"] for m in data["models"]}
            for entry in registry.get("models", []):
                if entry.get("name") not in names and entry.get("path") not in paths:
                    data["models"].append(entry)
                    names.add(entry.get("name"))
            if data.get("default") is None and registry.get("default") in names:
                data["default"] = registry["default"]
            self._save(data)

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
        with _registry_lock:
            model = self.get(name)
            data = self._load()
            data["default"] = model.name
            self._save(data)
        return model

    def remove(self, name: str, *, delete_file: bool = True) -> InstalledModel:
        """Forget a model; delete its file only if it lives in the models folder (imports stay the user's)."""
        with _registry_lock:
            model = self.get(name)
            data = self._load()
            data["models"] = [m for m in data["models"] if m["name"] != model.name]
            if data.get("default") == model.name:
                data["default"] = data["models"][0]["name"] if data["models"] else None
            if delete_file and self.owns(model.path):
                model.path.unlink(missing_ok=True)
            self._save(data)
        return model

    def owns(self, path: Path) -> bool:
        """Whether `path` lies in the models folder, so `remove` deletes it (anything else is the user's)."""
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            return False
        return True

    def verify(self, name: str, *, on_bytes: Callable[[int], None] | None = None) -> VerifyResult:
        """Re-hash a model's file and compare with what was recorded when it was installed; the verdict is
        recorded (`verified_at`, `verified_ok`). `on_bytes(done)` hears how many bytes were hashed so far,
        on this thread; an exception it raises stops the check (nothing is recorded) and propagates."""
        from satori_desktop.models.download import sha256_of_file

        model = self.get(name)
        if not model.path.is_file():
            result = VerifyResult(model.name, False, f"{model.path} is missing: download or import it again.")
        elif (size := model.path.stat().st_size) != model.size:
            result = VerifyResult(
                model.name,
                False,
                f"{model.path.name} has {size} bytes instead of {model.size}: download it again.",
            )
        elif model.sha256 is None:
            result = VerifyResult(model.name, True, "size matches (no sha256 was recorded for this file)")
        elif (actual := sha256_of_file(model.path, on_bytes=on_bytes)) != model.sha256:
            result = VerifyResult(
                model.name,
                False,
                f"{model.path.name} is damaged (sha256 {actual[:12]}... instead of {model.sha256[:12]}...): "
                "remove it and download it again.",
            )
        else:
            result = VerifyResult(model.name, True, "sha256 matches")
        self._record_verdict(model.name, result.ok)
        return result

    def _record_verdict(self, name: str, ok: bool) -> None:
        with _registry_lock:
            try:
                data = self._load()
                for entry in data["models"]:
                    if entry["name"] == name:
                        entry["verified_at"], entry["verified_ok"] = now_iso(), ok
                        self._save(data)
                        return
            except (OSError, UserFacingError) as exc:  # the verdict itself still reaches the caller
                log.warning("could not record the verdict on %s: %s", name, exc)

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
