"""Answer checking ("Check my answer", issue 11): a student's answer against Satori's boxed answer or an
answer key, by math-verify in a worker process. Qt-free; the window and `satori-desktop check` share it.

* `answers`: what is typed, made ready to compare (delimiters, choice letters, words, a few symbols);
  `display_latex` for typesetting the typed answer.
* `worker`: the code of the worker process, the only place math-verify is imported.
* `checker`: `AnswerChecker`, which owns the worker, its deadline and restarts.
* `result`: `CheckResult` and the sentences its `reason` says.
* `grouping`: answers of several sampled solutions grouped by equivalence, and their majority (issue 12).
"""

from satori_desktop.checking.answers import display_latex
from satori_desktop.checking.checker import DEFAULT_DEADLINE_S, AnswerChecker
from satori_desktop.checking.grouping import AnswerGroup, Consensus, group_answers, majority
from satori_desktop.checking.result import CheckResult

__all__ = [
    "DEFAULT_DEADLINE_S",
    "AnswerChecker",
    "AnswerGroup",
    "CheckResult",
    "Consensus",
    "display_latex",
    "group_answers",
    "majority",
]
