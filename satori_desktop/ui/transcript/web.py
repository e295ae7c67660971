"""The web engine set-up shared by the transcript and the preview: a private profile, the `satori:` URL
scheme that serves the app's own files, and a request interceptor that refuses everything else.

The page never touches the network or the disk by itself: the only URLs it can load are
`satori://app/web/...` (our page) and `satori://app/katex/...` (KaTeX), answered from files by
`AppSchemeHandler`. `RequestGuard` blocks any other request (http, https, file, ftp, ws, data of a
frame...), and `AppPage` refuses navigation away from the page, new windows and dropped files. The
profile is off the record: no cookies, cache or storage on disk.

The scheme must be registered before the QApplication exists (a Qt rule); importing this package does it
when no application exists yet, and `register_app_scheme()` may be called earlier explicitly.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import threading

from PySide6.QtCore import QBuffer, QByteArray, QObject, QUrl
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

from satori_desktop.ui.transcript.assets import MISSING_ASSETS_MESSAGE, asset_path

log = logging.getLogger(__name__)

SCHEME = "satori"
HOST = "app"
TRANSCRIPT_URL = f"{SCHEME}://{HOST}/web/transcript.html"
PREVIEW_URL = f"{SCHEME}://{HOST}/web/preview.html"

_MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
}

_registered = False


def register_app_scheme() -> None:
    """Register the `satori:` scheme with QtWebEngine; must run before the QApplication is created."""
    global _registered
    if _registered:
        return
    scheme = QWebEngineUrlScheme(SCHEME.encode())
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    _registered = True


def _error_page(message: str) -> bytes:
    body = html.escape(message)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Satori Desktop</title></head>"
        "<body style='font-family: sans-serif; margin: 2em; color: #5c4400'>"
        f"<p style='padding: 12px 16px; border: 1px solid #f0c36d; border-radius: 8px; background: #fff8e6'>"
        f"{body}</p></body></html>"
    ).encode()


class AppSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers `satori://app/<root>/<path>` from the asset folders; anything else is not found."""

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        path = asset_path(url.path()) if url.host() == HOST else None
        if path is None:
            if url.host() == HOST and url.path().startswith("/web/") and url.path().endswith(".html"):
                # Our page itself is missing: say what to do instead of a blank or raw page.
                self._reply(job, "text/html; charset=utf-8", _error_page(MISSING_ASSETS_MESSAGE))
                return
            log.warning("the page asked for a file the app does not have: %s", url.toString())
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        mime = (
            _MIME_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        try:
            data = path.read_bytes()
        except OSError:
            log.exception("could not read %s", path)
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)
            return
        self._reply(job, mime, data)

    @staticmethod
    def _reply(job: QWebEngineUrlRequestJob, mime: str, data: bytes) -> None:
        buffer = QBuffer(job)  # owned by the job, so it lives exactly as long as the reply needs it
        buffer.setData(QByteArray(data))
        buffer.open(QBuffer.OpenModeFlag.ReadOnly)
        job.reply(mime.encode(), buffer)


class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not for the app's own files; remembers what it blocked."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()  # interceptRequest may run on Chromium's IO thread
        self._blocked: list[str] = []

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        if url.scheme() == SCHEME and url.host() == HOST:
            return
        info.block(True)
        text = url.toString()
        with self._lock:
            self._blocked.append(text[:200])
        log.info("blocked a request from the transcript page: %s", text[:200])

    def blocked_urls(self) -> list[str]:
        with self._lock:
            return list(self._blocked)


class _Profile:
    """The app's web profile: Qt's default one (off the record), which Qt itself deletes after the last
    page, so no page can outlive it; set up on first use."""

    profile: QWebEngineProfile | None = None
    guard: RequestGuard | None = None
    handler: AppSchemeHandler | None = None


def app_profile() -> QWebEngineProfile:
    if _Profile.profile is None:
        if not _registered:
            raise RuntimeError(
                "satori_desktop.ui.transcript must be imported before the QApplication is created "
                "(the satori: URL scheme has to be registered first)"
            )
        profile = QWebEngineProfile.defaultProfile()
        if not profile.isOffTheRecord():
            log.warning("the default web profile keeps data on disk; the transcript stores nothing there")
        profile.setSpellCheckEnabled(False)
        guard = RequestGuard(profile)
        handler = AppSchemeHandler(profile)
        profile.setUrlRequestInterceptor(guard)
        profile.installUrlSchemeHandler(SCHEME.encode(), handler)
        settings = profile.settings()
        attribute = QWebEngineSettings.WebAttribute
        for name, value in (
            (attribute.JavascriptCanOpenWindows, False),
            (attribute.JavascriptCanAccessClipboard, False),
            (attribute.LocalContentCanAccessRemoteUrls, False),
            (attribute.LocalContentCanAccessFileUrls, False),
            (attribute.PluginsEnabled, False),
            (attribute.NavigateOnDropEnabled, False),
            (attribute.ErrorPageEnabled, False),
            (attribute.DnsPrefetchEnabled, False),
            (attribute.LocalStorageEnabled, False),
            (attribute.ScreenCaptureEnabled, False),
            (attribute.WebGLEnabled, False),
        ):
            settings.setAttribute(name, value)
        _Profile.profile, _Profile.guard, _Profile.handler = profile, guard, handler
    return _Profile.profile


def request_guard() -> RequestGuard:
    """The interceptor of the app profile (tests read what it blocked)."""
    app_profile()
    assert _Profile.guard is not None
    return _Profile.guard


class AppPage(QWebEnginePage):
    """A page of the app profile that stays on its own URL and logs its console to the app's log."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(app_profile(), parent)
        # JavaScript errors of the page (kept for tests: a page that threw is a failing page).
        self.console_errors: list[str] = []

    def acceptNavigationRequest(
        self, url: QUrl | str, navigation_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        qurl = QUrl(url) if isinstance(url, str) else url
        allowed = (
            qurl.scheme() == SCHEME
            and qurl.host() == HOST
            and navigation_type
            in (
                QWebEnginePage.NavigationType.NavigationTypeTyped,
                QWebEnginePage.NavigationType.NavigationTypeReload,
                QWebEnginePage.NavigationType.NavigationTypeOther,
            )
        )
        if not allowed:
            log.info("refused navigation of the transcript page to %s", qurl.toString()[:200])
        return allowed

    def javaScriptConsoleMessage(
        self, level: QWebEnginePage.JavaScriptConsoleMessageLevel, message: str, line: int, source: str
    ) -> None:
        where = f"{source}:{line}"
        # Chromium reports this at error level, yet by the spec it only says that a size change seen by a
        # ResizeObserver callback (the scroll-following in follow.js) is delivered at the next frame.
        benign = message.startswith("ResizeObserver loop completed with undelivered notifications")
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel and not benign:
            self.console_errors.append(f"{message} ({where})")
            log.error("page error: %s (%s)", message, where)
        else:
            log.debug("page console: %s (%s)", message, where)
