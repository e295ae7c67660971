"""The settings dialog: every field of `core.settings.Settings`, in four groups, with OK, Apply and Cancel.

It edits a copy and never saves or applies anything itself: OK and Apply emit
`settings_accepted(settings, needs_reload)` with the new settings (only when something changed) and
`needs_reload` from `core.settings.reload_needed`, True when the context size, GPU layers or CPU threads
changed, which apply only when the model is loaded again. The window saves, applies the rest at once, and
asks before it reloads. Cancel (or Escape) emits nothing, so nothing typed there is kept; what an Apply
already sent stays.

Values outside a field's limits cannot be entered: each number is a spin box with the limits of
`core.settings.NUMBER_LIMITS` (the command line's), and "let the engine decide" is a check box or a
choice, never a magic number. The dialog is opened with `open()` (window-modal, not blocking the window's
event loop), and so is the folder picker.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.core import paths
from satori_desktop.core.errors import UserFacingError
from satori_desktop.core.settings import (
    NUMBER_LIMITS,
    Settings,
    reasoning_choice,
    reload_needed,
    with_reasoning_choice,
)
from satori_desktop.models.hub import normalize_endpoint
from satori_desktop.ui.file_manager import open_folder
from satori_desktop.ui.i18n.text import QT_TRANSLATE_NOOP, arg
from satori_desktop.ui.wrapped_text import fit_height

log = logging.getLogger(__name__)

# Shown in a number box while its "Automatic" / "Random" box is ticked, as a starting point for typing:
# Satori-7B's trained context and depth, and one thread per physical core (a guess: half the logical).
SUGGESTED_CONTEXT = 4096
DEFAULT_HUB = "https://huggingface.co"  # what an empty "Download models from" means
SUGGESTED_GPU_LAYERS = 28
SUGGESTED_THREADS = max(1, (os.cpu_count() or 2) // 2)

GPU_AUTO, GPU_CPU_ONLY, GPU_LAYERS = "auto", "cpu", "layers"

THEME_CHOICES = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "Follow the system"), "system"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "Light"), "light"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "Dark"), "dark"),
)
# Each language in its own name, so a reader finds theirs whatever the UI's language is (only "Follow the
# system" is translated).
LANGUAGE_CHOICES = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "Follow the system"), "system"),
    ("English", "en"),
    ("简体中文", "zh_CN"),
)

REASONING_CHOICES = (
    (QT_TRANSLATE_NOOP("SettingsDialog", "Automatic (from the model)"), "auto"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "Satori's steps (COAT)"), "coat"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "A <think> thought, then the answer"), "think"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "Marco-o1: <Thought>, then <Output>"), "marco"),
    (QT_TRANSLATE_NOOP("SettingsDialog", "Plain answer"), "plain"),
)

RELOAD_HINT = QT_TRANSLATE_NOOP("SettingsDialog", "Applies when the model is reloaded.")
RELOAD_NOTE = QT_TRANSLATE_NOOP(
    "SettingsDialog",
    "Context size, GPU layers and CPU threads apply when the model is reloaded; you will be asked first.",
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


def _int_range(name: str) -> tuple[int, int]:
    low, high = NUMBER_LIMITS[name]
    return int(low), int(high)


def _hint(text: str, name: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    # The palette's quiet text colour, by role, so it follows a theme switched while the dialog is open.
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


class SettingsDialog(QDialog):
    """Edits a copy of `settings`. Signal: `settings_accepted(Settings, bool)`, the new settings and
    whether they need a model reload, on OK or Apply when something changed."""

    settings_accepted = Signal(object, bool)

    def __init__(
        self, settings: Settings, parent: QWidget | None = None, *, model_name: str | None = None
    ) -> None:
        super().__init__(parent)
        # The loaded model's file name: its reasoning format is the one this dialog edits (None: no model).
        self._model_name = model_name
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        # What OK and Apply compare with: the settings opened with, then the last ones applied.
        self._applied = settings
        self._models_dir = settings.models_dir
        self._folder_dialog: QFileDialog | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(self._answers_group())
        layout.addWidget(self._model_group())
        layout.addWidget(self._appearance_group())
        layout.addWidget(self._files_group())
        self.reload_note = _hint(_tr(RELOAD_NOTE), "reloadNote", self)
        self.reload_note.setWordWrap(True)
        self.reload_note.setForegroundRole(QPalette.ColorRole.WindowText)  # a change to act on: not quiet
        layout.addWidget(self.reload_note)
        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Apply
            | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.button_box.setObjectName("settingsButtons")
        self.ok_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("settingsOkButton")
        self.apply_button = self.button_box.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setObjectName("settingsApplyButton")
        self.cancel_button = self.button_box.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("settingsCancelButton")
        self.button_box.accepted.connect(self._on_button_box_accepted)
        self.button_box.rejected.connect(self.reject)
        self.button_box.clicked.connect(self._on_button_box_clicked)
        layout.addWidget(self.button_box)

        self.set_settings(settings)
        for double_spin in (self.temperature_spin, self.seed_spin):
            double_spin.valueChanged.connect(self._on_edited)
        for spin in (
            self.max_new_tokens_spin,
            self.samples_spin,
            self.n_ctx_spin,
            self.gpu_layers_spin,
            self.n_threads_spin,
        ):
            spin.valueChanged.connect(self._on_edited)
        for check in (
            self.seed_random_check,
            self.n_ctx_auto_check,
            self.n_threads_auto_check,
            self.fold_sections_check,
        ):
            check.toggled.connect(self._on_edited)
        for combo in (self.gpu_layers_combo, self.theme_combo, self.language_combo, self.reasoning_combo):
            combo.currentIndexChanged.connect(self._on_edited)
        self.hub_endpoint_edit.textChanged.connect(self._on_edited)

    # ----- the groups -----

    def _answers_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Answers"), self)
        group.setObjectName("answersGroup")
        form = self._form(group)

        self.temperature_spin = QDoubleSpinBox(group)
        self.temperature_spin.setObjectName("temperatureSpin")
        self.temperature_spin.setRange(*NUMBER_LIMITS["temperature"])
        self.temperature_spin.setDecimals(2)
        self.temperature_spin.setSingleStep(0.1)
        self.temperature_spin.setSpecialValueText(self.tr("0 (greedy, recommended)"))
        self.temperature_spin.setToolTip(
            self.tr(
                "0 always picks the most likely token, as the model card recommends; higher values vary the "
                "answers more."
            )
        )
        form.addRow(self.tr("&Temperature:"), self.temperature_spin)

        self.max_new_tokens_spin = QSpinBox(group)
        self.max_new_tokens_spin.setObjectName("maxNewTokensSpin")
        self.max_new_tokens_spin.setRange(*_int_range("max_new_tokens"))
        self.max_new_tokens_spin.setSingleStep(256)
        self.max_new_tokens_spin.setSuffix(self.tr(" tokens"))
        self.max_new_tokens_spin.setGroupSeparatorShown(True)
        self.max_new_tokens_spin.setToolTip(
            self.tr("The longest answer, in tokens (4,096 is the model card's).")
        )
        form.addRow(self.tr("&Max new tokens:"), self.max_new_tokens_spin)

        self.seed_random_check = QCheckBox(self.tr("Random"), group)
        self.seed_random_check.setObjectName("seedRandomCheck")
        self.seed_random_check.setToolTip(
            self.tr(
                "A new seed for each answer. A fixed seed repeats the same answer to the same question when "
                "the temperature is above 0."
            )
        )
        # QSpinBox holds 32-bit signed numbers; a seed goes to 2**32 - 2, which a double holds exactly.
        self.seed_spin = QDoubleSpinBox(group)
        self.seed_spin.setObjectName("seedSpin")
        self.seed_spin.setDecimals(0)
        self.seed_spin.setRange(*NUMBER_LIMITS["seed"])
        form.addRow(self.tr("&Seed:"), self._row(group, self.seed_random_check, self.seed_spin))
        self.seed_random_check.toggled.connect(lambda on: self.seed_spin.setEnabled(not on))

        self.samples_spin = QSpinBox(group)
        self.samples_spin.setObjectName("samplesSpin")
        self.samples_spin.setRange(*_int_range("samples"))
        self.samples_spin.setSuffix(self.tr(" solutions"))
        self.samples_spin.setToolTip(
            self.tr(
                'How many solutions "Solve several times" samples together; the answer most of them reach '
                "is shown."
            )
        )
        form.addRow(self.tr("Solve se&veral times:"), self.samples_spin)

        self.reasoning_combo = QComboBox(group)
        self.reasoning_combo.setObjectName("reasoningCombo")
        for label, value in REASONING_CHOICES:
            self.reasoning_combo.addItem(_tr(label), value)
        self.reasoning_combo.setToolTip(
            self.tr(
                "How the loaded model's reasoning is shown: Automatic reads Satori's steps, a <think> "
                "thought or Marco-o1's thought and output from what the model is. Each model keeps its own "
                "choice."
            )
        )
        self.reasoning_combo.setEnabled(self._model_name is not None)
        form.addRow(self.tr("&Reasoning format of this model:"), self.reasoning_combo)
        return group

    def _model_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Model && hardware"), self)
        group.setObjectName("modelGroup")
        form = self._form(group)
        form.addRow(_hint(_tr(RELOAD_HINT), "reloadHint", group))

        self.n_ctx_auto_check = QCheckBox(self.tr("Automatic"), group)
        self.n_ctx_auto_check.setObjectName("contextAutoCheck")
        self.n_ctx_auto_check.setToolTip(
            self.tr("Enough for the question and the longest answer, up to what the model was trained with.")
        )
        self.n_ctx_spin = QSpinBox(group)
        self.n_ctx_spin.setObjectName("contextSpin")
        self.n_ctx_spin.setRange(*_int_range("n_ctx"))
        self.n_ctx_spin.setSingleStep(256)
        self.n_ctx_spin.setSuffix(self.tr(" tokens"))
        self.n_ctx_spin.setGroupSeparatorShown(True)
        form.addRow(self.tr("&Context size:"), self._row(group, self.n_ctx_auto_check, self.n_ctx_spin))
        self.n_ctx_auto_check.toggled.connect(lambda on: self.n_ctx_spin.setEnabled(not on))

        self.gpu_layers_combo = QComboBox(group)
        self.gpu_layers_combo.setObjectName("gpuLayersCombo")
        self.gpu_layers_combo.addItem(self.tr("Automatic (as many as fit)"), GPU_AUTO)
        self.gpu_layers_combo.addItem(self.tr("CPU only"), GPU_CPU_ONLY)
        self.gpu_layers_combo.addItem(self.tr("This many layers:"), GPU_LAYERS)
        # 0 layers is "CPU only", a choice of its own: the number starts at 1.
        self.gpu_layers_spin = QSpinBox(group)
        self.gpu_layers_spin.setObjectName("gpuLayersSpin")
        self.gpu_layers_spin.setRange(1, _int_range("gpu_layers")[1])
        self.gpu_layers_spin.setToolTip(
            self.tr("Satori-7B has 28 layers; a number above a model's layer count offloads all of them.")
        )
        form.addRow(self.tr("&GPU layers:"), self._row(group, self.gpu_layers_combo, self.gpu_layers_spin))
        self.gpu_layers_combo.currentIndexChanged.connect(
            lambda _index: self.gpu_layers_spin.setEnabled(self.gpu_layers_combo.currentData() == GPU_LAYERS)
        )

        self.n_threads_auto_check = QCheckBox(self.tr("Automatic"), group)
        self.n_threads_auto_check.setObjectName("threadsAutoCheck")
        self.n_threads_auto_check.setToolTip(self.tr("One thread per physical core."))
        self.n_threads_spin = QSpinBox(group)
        self.n_threads_spin.setObjectName("threadsSpin")
        self.n_threads_spin.setRange(*_int_range("n_threads"))
        form.addRow(
            self.tr("CPU thr&eads:"), self._row(group, self.n_threads_auto_check, self.n_threads_spin)
        )
        self.n_threads_auto_check.toggled.connect(lambda on: self.n_threads_spin.setEnabled(not on))
        return group

    def _appearance_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Appearance"), self)
        group.setObjectName("appearanceGroup")
        form = self._form(group)

        self.fold_sections_check = QCheckBox(
            self.tr("Fold reflect and explore sections when they are done"), group
        )
        self.fold_sections_check.setObjectName("foldSectionsCheck")
        form.addRow(self.fold_sections_check)

        self.theme_combo = QComboBox(group)
        self.theme_combo.setObjectName("themeCombo")
        for text, value in THEME_CHOICES:
            self.theme_combo.addItem(_tr(text), value)
        form.addRow(self.tr("T&heme:"), self.theme_combo)

        self.language_combo = QComboBox(group)
        self.language_combo.setObjectName("languageCombo")
        for text, value in LANGUAGE_CHOICES:
            self.language_combo.addItem(_tr(text) if value == "system" else text, value)
        form.addRow(self.tr("&Language:"), self.language_combo)
        form.addRow("", _hint(self.tr("Applies the next time Satori Desktop starts."), "languageHint", group))
        return group

    def _files_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Files"), self)
        group.setObjectName("filesGroup")
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow
        )  # the path takes the width
        self.models_dir_edit = QLineEdit(group)
        self.models_dir_edit.setObjectName("modelsDirEdit")
        self.models_dir_edit.setReadOnly(True)
        self.models_dir_edit.setMinimumWidth(320)
        self.models_dir_change_button = QPushButton(self.tr("Change…"), group)
        self.models_dir_change_button.setObjectName("modelsDirChangeButton")
        self.models_dir_change_button.clicked.connect(self._on_models_dir_change_button_clicked)
        self.models_dir_open_button = QPushButton(self.tr("Open"), group)
        self.models_dir_open_button.setObjectName("modelsDirOpenButton")
        self.models_dir_open_button.clicked.connect(self._on_models_dir_open_button_clicked)
        row = self._row(
            group, self.models_dir_edit, self.models_dir_change_button, self.models_dir_open_button
        )
        form.addRow(self.tr("Mo&dels folder:"), row)
        form.addRow(
            "",
            _hint(
                self.tr("New downloads go here; installed models stay where they are."),
                "modelsDirHint",
                group,
            ),
        )
        self.hub_endpoint_edit = QLineEdit(group)
        self.hub_endpoint_edit.setObjectName("hubEndpointEdit")
        self.hub_endpoint_edit.setPlaceholderText(DEFAULT_HUB)
        self.hub_endpoint_edit.setClearButtonEnabled(True)
        form.addRow(self.tr("Download models &from:"), self.hub_endpoint_edit)
        overridden = os.environ.get("HF_ENDPOINT", "").strip()
        hint = (
            arg(self.tr("HF_ENDPOINT is set (%1), so downloads come from there."), overridden)
            if overridden
            # Two lines of its own, not word-wrapped: a wrapped label in a form is given too little height.
            else self.tr(
                "A mirror of the Hugging Face hub, where huggingface.co cannot be reached\n"
                "(such as https://hf-mirror.com). It serves the same files: choose one you trust."
            )
        )
        form.addRow("", _hint(hint, "hubEndpointHint", group))
        self.hub_endpoint_error = QLabel(group)
        self.hub_endpoint_error.setObjectName("hubEndpointError")
        self.hub_endpoint_error.setWordWrap(True)
        self.hub_endpoint_error.setStyleSheet("color: #c62828;")
        self.hub_endpoint_error.setVisible(False)
        form.addRow("", self.hub_endpoint_error)
        return group

    @staticmethod
    def _form(group: QGroupBox) -> QFormLayout:
        form = QFormLayout(group)
        # Numbers and choices as wide as they need, on every platform (Fusion would stretch them).
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        return form

    @staticmethod
    def _row(parent: QWidget, *widgets: QWidget) -> QWidget:
        row = QWidget(parent)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in widgets:
            layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
        layout.addStretch(0 if any(isinstance(widget, QLineEdit) for widget in widgets) else 1)
        return row

    # ----- values in and out -----

    def set_settings(self, settings: Settings) -> None:
        """Show `settings` (and compare the next OK or Apply with them)."""
        self._applied = settings
        self.temperature_spin.setValue(settings.temperature)
        self._temperature_shown = self.temperature_spin.value()  # rounded to the box's decimals
        self.max_new_tokens_spin.setValue(settings.max_new_tokens)
        self.samples_spin.setValue(settings.samples)
        self.seed_random_check.setChecked(settings.seed is None)
        self.seed_spin.setValue(settings.seed if settings.seed is not None else 0)
        self.seed_spin.setEnabled(settings.seed is not None)
        self.n_ctx_auto_check.setChecked(settings.n_ctx is None)
        self.n_ctx_spin.setValue(settings.n_ctx if settings.n_ctx is not None else SUGGESTED_CONTEXT)
        self.n_ctx_spin.setEnabled(settings.n_ctx is not None)
        if settings.gpu_layers is None:
            mode, layers = GPU_AUTO, SUGGESTED_GPU_LAYERS
        elif settings.gpu_layers == 0:
            mode, layers = GPU_CPU_ONLY, SUGGESTED_GPU_LAYERS
        else:
            mode, layers = GPU_LAYERS, settings.gpu_layers
        self.gpu_layers_combo.setCurrentIndex(self.gpu_layers_combo.findData(mode))
        self.gpu_layers_spin.setValue(layers)
        self.gpu_layers_spin.setEnabled(mode == GPU_LAYERS)
        self.n_threads_auto_check.setChecked(settings.n_threads is None)
        self.n_threads_spin.setValue(
            settings.n_threads if settings.n_threads is not None else SUGGESTED_THREADS
        )
        self.n_threads_spin.setEnabled(settings.n_threads is not None)
        self.fold_sections_check.setChecked(not settings.keep_sections_open)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(settings.theme)))
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(settings.language)))
        choice = reasoning_choice(settings, self._model_name) if self._model_name else "auto"
        self.reasoning_combo.setCurrentIndex(max(0, self.reasoning_combo.findData(choice)))
        self._show_models_dir(settings.models_dir)
        self.hub_endpoint_edit.setText(settings.hub_endpoint)

    def current_settings(self) -> Settings:
        """The settings as the dialog shows them now."""
        # The box shows two decimals: a saved 0.125 the user did not touch stays 0.125.
        temperature = self.temperature_spin.value()
        if temperature == self._temperature_shown:
            temperature = self._applied.temperature
        # An address that is not one yet keeps the one applied (OK and Apply wait for a valid one anyway).
        hub_endpoint = self._hub_endpoint()
        gpu_mode = self.gpu_layers_combo.currentData()
        gpu_layers = {GPU_AUTO: None, GPU_CPU_ONLY: 0}.get(gpu_mode, self.gpu_layers_spin.value())
        settings = self._applied.with_changes(
            temperature=temperature,
            max_new_tokens=self.max_new_tokens_spin.value(),
            samples=self.samples_spin.value(),
            seed=None if self.seed_random_check.isChecked() else int(self.seed_spin.value()),
            n_ctx=None if self.n_ctx_auto_check.isChecked() else self.n_ctx_spin.value(),
            gpu_layers=gpu_layers,
            n_threads=None if self.n_threads_auto_check.isChecked() else self.n_threads_spin.value(),
            keep_sections_open=not self.fold_sections_check.isChecked(),
            theme=self.theme_combo.currentData(),
            language=self.language_combo.currentData(),
            models_dir=self._models_dir,
            hub_endpoint=self._applied.hub_endpoint if hub_endpoint is None else hub_endpoint,
        )
        if self._model_name is None:
            return settings
        return with_reasoning_choice(settings, self._model_name, self.reasoning_combo.currentData())

    def _hub_endpoint(self) -> str | None:
        """The mirror as the field says it, normalised; None (and the sentence shown) when it is not one."""
        try:
            value = normalize_endpoint(self.hub_endpoint_edit.text())
        except ValueError as exc:
            if self.hub_endpoint_error.isHidden() or self.hub_endpoint_error.text() != str(exc):
                self.hub_endpoint_error.setText(str(exc))
                self.hub_endpoint_error.setVisible(True)
                fit_height(self)
            return None
        if not self.hub_endpoint_error.isHidden():
            self.hub_endpoint_error.setVisible(False)
            fit_height(self)
        return value

    def focus_hub_endpoint(self) -> None:
        """Put the keyboard in the mirror's field (the first-run page sends the user here for it)."""
        self.hub_endpoint_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.hub_endpoint_edit.selectAll()

    def _show_models_dir(self, models_dir: str) -> None:
        self._models_dir = models_dir
        self.models_dir_edit.setText(str(self.models_folder()))
        self.models_dir_edit.setCursorPosition(0)
        self._on_edited()

    def models_folder(self) -> Path:
        """The folder the dialog shows: the chosen one, or the platform's default."""
        return Path(self._models_dir) if self._models_dir else paths.models_dir()

    # ----- slots -----

    def _on_edited(self, *_args: object) -> None:
        current = self.current_settings()
        valid = self._hub_endpoint() is not None  # an address that is not one holds OK and Apply back
        self.ok_button.setEnabled(valid)
        self.apply_button.setEnabled(valid and current != self._applied)
        self.reload_note.setVisible(reload_needed(self._applied, current))

    def _send(self) -> None:
        if self._hub_endpoint() is None:
            return
        new = self.current_settings()
        if new == self._applied:
            return
        needs_reload = reload_needed(self._applied, new)
        self._applied = new
        self._temperature_shown = self.temperature_spin.value()
        self._on_edited()
        self.settings_accepted.emit(new, needs_reload)

    def _on_button_box_accepted(self) -> None:
        self._send()
        self.accept()

    def _on_button_box_clicked(self, button: QAbstractButton) -> None:
        if button is self.apply_button:
            self._send()

    def _on_models_dir_change_button_clicked(self) -> None:
        if self._folder_dialog is None:
            self._folder_dialog = QFileDialog(self, self.tr("Choose the models folder"))
            self._folder_dialog.setObjectName("modelsDirDialog")
            self._folder_dialog.setFileMode(QFileDialog.FileMode.Directory)
            self._folder_dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
            self._folder_dialog.fileSelected.connect(self._on_folder_dialog_file_selected)
        folder = self.models_folder()
        self._folder_dialog.setDirectory(str(folder if folder.is_dir() else folder.parent))
        self._folder_dialog.open()

    def _on_folder_dialog_file_selected(self, chosen: str) -> None:
        if not chosen:
            return
        folder = Path(chosen).resolve()
        # The default folder chosen again stays "the default", so it follows SATORI_DESKTOP_HOME and moves.
        self._show_models_dir("" if folder == paths.models_dir().resolve() else str(folder))

    def _on_models_dir_open_button_clicked(self) -> None:
        with contextlib.suppress(UserFacingError):  # logged; the folder's path is in the field beside it
            open_folder(self.models_folder())  # the default one exists only after a download


def open_settings_dialog(
    settings: Settings, parent: QWidget, *, model_name: str | None = None
) -> SettingsDialog:
    """Open the dialog over `parent`, window-modal, without waiting for it to close; it deletes itself
    once closed. Connect to `settings_accepted` on the returned dialog."""
    dialog = SettingsDialog(settings, parent, model_name=model_name)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
