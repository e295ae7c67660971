"""File > Shared server…: answers from this computer's model, or from Satori on a shared server.

A classroom's GPU machine runs `satori-desktop serve` (or any llama-server / vLLM); the student types the
address and the key its owner gave them. The dialog checks the addresses (engine/remote.normalize_url)
and, before a key would travel unencrypted (plain http to another machine), asks once. An https server
is checked against the certificates the system trusts, or against a certificate file chosen here (a
classroom server's self-made one). It emits `server_chosen(ServerChoice)` and keeps nothing itself: the
window saves the mode, addresses, model name and certificate file in the settings and the key in the OS
keychain (core/keychain.py), then connects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from satori_desktop.core.settings import EngineMode, Settings, server_url_list
from satori_desktop.ui.i18n.text import arg
from satori_desktop.ui.wrapped_text import fit_height


@dataclass(frozen=True)
class ServerChoice:
    mode: EngineMode
    urls: tuple[str, ...]  # normalised base URLs ("server" mode); empty for "local"
    model: str
    api_key: str = field(repr=False)
    ca_file: str = ""  # a certificate file to trust for https servers; "": the system's certificates


class ServerDialog(QDialog):
    """Edits where answers come from. Signal: `server_chosen(ServerChoice)` on Connect / OK."""

    server_chosen = Signal(object)

    def __init__(self, settings: Settings, api_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverDialog")
        self.setWindowTitle(self.tr("Shared server"))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)

        self.local_radio = QRadioButton(self.tr("This computer: the model chosen in File > Models…"), self)
        self.local_radio.setObjectName("localRadio")
        self.server_radio = QRadioButton(self.tr("A shared Satori server (llama-server or vLLM)"), self)
        self.server_radio.setObjectName("serverRadio")
        modes = QButtonGroup(self)
        modes.addButton(self.local_radio)
        modes.addButton(self.server_radio)
        layout.addWidget(self.local_radio)
        layout.addWidget(self.server_radio)

        self.server_fields = QWidget(self)
        form = QFormLayout(self.server_fields)
        form.setContentsMargins(24, 0, 0, 0)
        self.urls_edit = QLineEdit(settings.server_urls, self.server_fields)
        self.urls_edit.setObjectName("serverUrlsEdit")
        self.urls_edit.setPlaceholderText(self.tr("http://gpu-box:8080 (several: separate them with commas)"))
        form.addRow(self.tr("&Address:"), self.urls_edit)
        self.model_edit = QLineEdit(settings.server_model, self.server_fields)
        self.model_edit.setObjectName("serverModelEdit")
        self.model_edit.setPlaceholderText(self.tr("the one the server offers"))
        form.addRow(self.tr("&Model name:"), self.model_edit)
        self.key_edit = QLineEdit(api_key, self.server_fields)
        self.key_edit.setObjectName("serverKeyEdit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText(self.tr("the key the server's owner gave you, if any"))
        form.addRow(self.tr("API &key:"), self.key_edit)
        self.show_key_check = QCheckBox(self.tr("Show the key"), self.server_fields)
        self.show_key_check.setObjectName("showKeyCheck")
        self.show_key_check.toggled.connect(self._on_show_key_check_toggled)
        form.addRow("", self.show_key_check)
        form.addRow(
            "",
            self._hint(
                self.tr(
                    "The key is kept in this system's keychain, never in the settings file or the history."
                )
            ),
        )
        certificate_row = QHBoxLayout()
        self.ca_edit = QLineEdit(settings.server_ca_file, self.server_fields)
        self.ca_edit.setObjectName("serverCaEdit")
        self.ca_edit.setPlaceholderText(self.tr("the certificates this system trusts"))
        self.ca_edit.setClearButtonEnabled(True)
        certificate_row.addWidget(self.ca_edit, 1)
        self.ca_button = QPushButton(self.tr("C&hoose…"), self.server_fields)
        self.ca_button.setObjectName("serverCaButton")
        self.ca_button.clicked.connect(self._on_ca_button_clicked)
        certificate_row.addWidget(self.ca_button)
        ca_label = QLabel(self.tr("&Certificate:"), self.server_fields)
        ca_label.setBuddy(self.ca_edit)  # a row of a layout gets no buddy of its own
        form.addRow(ca_label, certificate_row)
        form.addRow(
            "",
            self._hint(
                self.tr(
                    "Only for an https server with a certificate of its own: the file its owner gave you."
                )
            ),
        )
        layout.addWidget(self.server_fields)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("serverErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)

        self.button_box = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.button_box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("serverOkButton")
        self.button_box.accepted.connect(self._on_button_box_accepted)
        self.button_box.rejected.connect(self.reject)
        layout.addWidget(self.button_box)

        self.server_radio.toggled.connect(self._on_server_radio_toggled)
        (self.server_radio if settings.engine == "server" else self.local_radio).setChecked(True)
        self._on_server_radio_toggled(self.server_radio.isChecked())
        self._question: QMessageBox | None = None
        self._file_dialog: QFileDialog | None = None
        for edit in (self.urls_edit, self.model_edit, self.ca_edit):
            edit.textEdited.connect(self._hide_error)

    def _hint(self, text: str) -> QLabel:
        """A quiet line under a field (the palette's placeholder colour, so it follows the theme)."""
        hint = QLabel(text, self.server_fields)
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return hint

    def _on_server_radio_toggled(self, checked: bool) -> None:
        self.server_fields.setEnabled(checked)
        self.ok_button.setText(self.tr("Connect") if checked else self.tr("OK"))
        self._hide_error()

    def _on_show_key_check_toggled(self, checked: bool) -> None:
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Normal if checked else QLineEdit.EchoMode.Password)

    def _on_ca_button_clicked(self) -> None:
        dialog = QFileDialog(self, self.tr("The server's certificate"))
        dialog.setObjectName("serverCaFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters([self.tr("Certificates (*.pem *.crt *.cer)"), self.tr("All files (*)")])
        current = Path(self.ca_edit.text().strip()).expanduser()
        if current.parent.is_dir() and self.ca_edit.text().strip():
            dialog.setDirectory(str(current.parent))
        dialog.fileSelected.connect(self.ca_edit.setText)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._file_dialog = dialog
        dialog.open()

    def choice(self) -> ServerChoice | None:
        """What the dialog holds now, or None (with the sentence shown) when an address is not one."""
        from satori_desktop.engine.remote import normalize_url

        key = self.key_edit.text().strip()
        model = self.model_edit.text().strip()
        ca_text = self.ca_edit.text().strip()
        ca_file = str(Path(ca_text).expanduser()) if ca_text else ""
        if self.local_radio.isChecked():
            return ServerChoice("local", (), model, key, ca_file)
        texts = server_url_list(self.urls_edit.text())
        if not texts:
            self._show_error(self.tr("Write the server's address, such as http://gpu-box:8080."))
            return None
        urls: list[str] = []
        for text in texts:
            try:
                urls.append(normalize_url(text))
            except ValueError as exc:
                self._show_error(str(exc))
                return None
        if ca_file and not Path(ca_file).is_file():
            missing = self.tr("There is no certificate file at %1: choose the server's certificate again.")
            self._show_error(arg(missing, ca_file), self.ca_edit)
            return None
        return ServerChoice("server", tuple(urls), model, key, ca_file)

    def _show_error(self, sentence: str, field: QLineEdit | None = None) -> None:
        self.error_label.setText(sentence)
        self.error_label.setVisible(True)
        fit_height(self)
        (field or self.urls_edit).setFocus(Qt.FocusReason.OtherFocusReason)

    def _hide_error(self) -> None:
        if self.error_label.isVisible():
            self.error_label.setVisible(False)
            fit_height(self)

    def _on_button_box_accepted(self) -> None:
        from satori_desktop.engine.remote import display_host, sends_key_in_clear

        choice = self.choice()
        if choice is None:
            return
        in_clear = [display_host(url) for url in choice.urls if sends_key_in_clear(url, choice.api_key)]
        if not in_clear:
            self._accept(choice)
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("Shared server"),
            arg(
                self.tr(
                    "%1 is reached over plain http, so the API key would travel unencrypted and anyone on "
                    "the network could read it. Send it anyway?"
                ),
                ", ".join(in_clear),
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("plainHttpQuestion")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: (
                self._accept(choice) if box.standardButton(button) == QMessageBox.StandardButton.Yes else None
            )
        )
        self._question = box
        box.open()

    def _accept(self, choice: ServerChoice) -> None:
        self.server_chosen.emit(choice)
        self.accept()


def open_server_dialog(settings: Settings, api_key: str, parent: QWidget) -> ServerDialog:
    dialog = ServerDialog(settings, api_key, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
