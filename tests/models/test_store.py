"""Importing local GGUFs, the registry, re-verification, removal and the default model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from satori_desktop.core.errors import UserFacingError
from satori_desktop.models.gguf_info import read_gguf_info
from satori_desktop.models.store import ModelStore, no_model_message, set_models_root
from tests.support.tiny_gguf import write_tiny_gguf, write_truncated_copy


def test_gguf_header_gives_architecture_shape_and_coat_tokens(tiny_satori: Path) -> None:
    info = read_gguf_info(tiny_satori)
    assert info.architecture == "qwen2" and info.is_satori
    assert info.quantization == "F32"
    shape = info.shape
    assert (shape.n_layers, shape.n_embd, shape.n_head, shape.n_head_kv, shape.head_dim) == (2, 64, 4, 2, 16)
    assert shape.file_size_bytes == tiny_satori.stat().st_size
    # Every tensor is counted once: blocks + output + embeddings fill the file but for the header.
    counted = shape.repeating_bytes + shape.output_bytes + shape.embedding_bytes
    assert 0 < tiny_satori.stat().st_size - counted < 64 * 1024


def test_import_satori_registers_it_as_default(tiny_satori: Path) -> None:
    store = ModelStore()
    assert store.default_model() is None
    assert "satori-desktop models download" in no_model_message()
    model = store.import_file(tiny_satori)
    assert model.is_satori and model.warnings == [] and model.source == "import"
    assert store.default_model() == model
    assert store.verify(model.name).ok


def test_import_non_satori_is_allowed_with_a_warning(tmp_path: Path) -> None:
    llama = write_tiny_gguf(tmp_path / "llama.gguf", architecture="llama")
    no_coat = write_tiny_gguf(tmp_path / "plain-qwen.gguf", coat_tokens=False)
    store = ModelStore()
    first = store.import_file(llama)
    second = store.import_file(no_coat)
    assert not first.is_satori and "llama model, not Satori" in first.warnings[0]
    assert not second.is_satori and "<|continue|>" in second.warnings[0]
    assert all("reasoning sections" in m.warnings[0] for m in (first, second))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"PK\x03\x04 a zip, not a model", "not a GGUF model file"),
        (None, "cannot be read"),  # a GGUF cut off inside its header
    ],
)
def test_import_rejects_what_llama_cpp_cannot_load(
    tmp_path: Path, tiny_satori: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "bad.gguf"
    if content is None:
        write_truncated_copy(tiny_satori, path, keep_fraction=0.01)
    else:
        path.write_bytes(content)
    with pytest.raises(UserFacingError, match=expected):
        ModelStore().import_file(path)
    assert ModelStore().models() == []


def test_verify_finds_a_damaged_file(tmp_path: Path, tiny_satori: Path) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copy(tiny_satori, copy)
    store = ModelStore()
    model = store.import_file(copy)
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    result = store.verify(model.name)
    assert not result.ok and "damaged" in result.message
    copy.unlink()
    assert "missing" in store.verify(model.name).message


def test_remove_deletes_downloads_but_never_the_users_own_file(tmp_path: Path, tiny_satori: Path) -> None:
    store = ModelStore(tmp_path / "models")
    external = store.import_file(tiny_satori)
    inside = store.import_file(tiny_satori, copy=True)
    assert inside.path.parent == store.root
    store.remove(inside.name)
    assert not inside.path.exists()
    store.remove(external.name)
    assert tiny_satori.exists()
    assert store.models() == [] and store.default_model() is None
    with pytest.raises(UserFacingError, match="No installed model"):
        store.remove("nothing-here")


def test_models_folder_can_be_moved(tmp_path: Path, tiny_satori: Path) -> None:
    set_models_root(tmp_path / "elsewhere")
    store = ModelStore()
    assert store.root == (tmp_path / "elsewhere").resolve()
    store.import_file(tiny_satori)
    assert (tmp_path / "elsewhere" / "registry.json").is_file()


def test_verify_reports_the_bytes_it_hashed_and_records_its_verdict(larger_satori: Path) -> None:
    store = ModelStore()
    model = store.import_file(larger_satori)
    assert model.verified_at is None and model.verified_ok is None
    done: list[int] = []
    assert store.verify(model.name, on_bytes=done.append).ok
    # Several chunks of a file of about 8 MB, growing to its size.
    assert len(done) >= 1 and done == sorted(done) and done[-1] == model.size
    again = ModelStore().get(model.name)
    assert again.verified_ok is True and again.verified_at is not None


def test_a_verify_stopped_by_its_callback_records_nothing(larger_satori: Path) -> None:
    store = ModelStore()
    model = store.import_file(larger_satori)

    def stop(_done: int) -> None:
        raise InterruptedError("the window closed")

    with pytest.raises(InterruptedError):
        store.verify(model.name, on_bytes=stop)
    assert ModelStore().get(model.name).verified_at is None


def test_a_damaged_verdict_is_recorded(tmp_path: Path, tiny_satori: Path) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copy(tiny_satori, copy)
    store = ModelStore()
    model = store.import_file(copy)
    data = bytearray(copy.read_bytes())
    data[-1] ^= 0x01
    copy.write_bytes(bytes(data))
    assert not store.verify(model.name).ok
    assert ModelStore().get(model.name).verified_ok is False


def test_moving_the_models_folder_keeps_the_installed_models_listed(
    tmp_path: Path, tiny_satori: Path
) -> None:
    first = ModelStore()
    downloaded = first.import_file(tiny_satori, copy=True)  # a file inside the old models folder
    imported = first.import_file(write_tiny_gguf(tmp_path / "mine.gguf"))
    first.set_default(imported.name)
    set_models_root(tmp_path / "new-models")
    moved = ModelStore()
    assert moved.root == (tmp_path / "new-models").resolve() != first.root
    # Nothing is moved: the files stay where they were, and both models are still there, default included.
    assert [m.path for m in moved.models()] == [downloaded.path, imported.path]
    assert downloaded.path.parent == first.root and downloaded.path.is_file()
    assert moved.default_model() == imported
    # The old folder is no longer the models folder: removing its file now only forgets it.
    assert not moved.owns(downloaded.path)
    moved.remove(downloaded.name)
    assert downloaded.path.is_file()
    # Moving back finds the old registry, with both models, and adds nothing twice.
    set_models_root(first.root)
    assert [m.name for m in ModelStore().models()] == [downloaded.name, imported.name]


def test_a_damaged_registry_does_not_keep_the_user_in_its_folder(tmp_path: Path) -> None:
    store = ModelStore()
    store.root.mkdir(parents=True, exist_ok=True)
    store.registry_path.write_text("{not json", encoding="utf-8")
    set_models_root(tmp_path / "fresh")
    assert ModelStore().models() == []
    assert store.registry_path.read_text(encoding="utf-8") == "{not json"  # left for the user to look at
