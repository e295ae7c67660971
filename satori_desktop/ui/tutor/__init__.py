"""Tutor mode and "Check my answer" in the window: the bar under the transcript (`bar.TutorBar`) and what
it drives (`controller.TutorController`)."""

from satori_desktop.ui.tutor.bar import TutorBar
from satori_desktop.ui.tutor.controller import TutorController

__all__ = ["TutorBar", "TutorController"]
