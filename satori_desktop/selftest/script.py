"""The answer the self-test scripts out of the tiny model, and what the transcript page must show for it.

The script has every kind of step (the first, `continue`, `reflect`, `explore`), inline and display math in
each of the delimiters Satori writes, a character that the tiny vocabulary can only emit one byte at a
time (the engine's UTF-8 decoding must put it back together), and a `\\boxed{}` answer. `page_problems`
compares what the page reported (`page.PAGE_STATE_JS`) with it. Qt-free.
"""

from __future__ import annotations

from typing import Any

from satori_desktop.selftest.tiny_model import CONTINUE, EXPLORE, IM_END, REFLECT

QUESTION = "What is $1 + 1$?"
ANSWER = "2"
SCRIPT = (
    "We add the two numbers: $1 + 1 = 2$."
    + CONTINUE
    + "So the sum is \\(2\\), and 2 \u2265 1."
    + REFLECT
    + "Let me check by subtracting: \\[2 - 1 = 1,\\] so the sum is right."
    + EXPLORE
    + "Another way: halve four, $\\frac{4}{2} = 2$."
    + CONTINUE
    + "So the final answer is \\[\\boxed{2}\\]"
    + IM_END
)
# What the model's text must be: the script without its end token (the engine stops there).
EXPECTED_TEXT = SCRIPT.removesuffix(IM_END)
# The page's step sections in order, and which of them fold (a header that opens and closes them).
EXPECTED_STEPS = ("start", "continue", "reflect", "explore", "continue")
COLLAPSIBLE = frozenset({"reflect", "explore"})
# Formulas: one in the question, five in the steps, and the answer card's.
EXPECTED_FORMULAS = 7


def page_problems(state: dict[str, Any]) -> list[str]:
    """What is wrong with the page, each as a clause ("2 of its 7 formulas were not typeset"); empty when
    all is well."""
    problems: list[str] = []
    steps = state.get("steps") or []
    actions = tuple(step.get("action") for step in steps)
    if actions != EXPECTED_STEPS:
        problems.append(f"it shows the steps {list(actions)} instead of {list(EXPECTED_STEPS)}")
    for step in steps:
        action = step.get("action")
        if step.get("collapsible") != (action in COLLAPSIBLE):
            kind = "is" if step.get("collapsible") else "is not"
            problems.append(f"the {action} step {kind} a collapsible section")
        elif step.get("collapsible") and not step.get("toggles"):
            problems.append(f"the {action} section does not open and close from its header")
    formulas, typeset = int(state.get("formulas") or 0), int(state.get("typeset") or 0)
    if formulas != EXPECTED_FORMULAS:
        problems.append(f"it has {formulas} formulas instead of {EXPECTED_FORMULAS}")
    if typeset != formulas:
        problems.append(f"{formulas - typeset} of its {formulas} formulas were not typeset")
    if not state.get("katex"):
        problems.append("it has no KaTeX output")
    if state.get("katex_errors"):
        problems.append(f"KaTeX could not typeset {state['katex_errors']} formulas")
    if state.get("answer_cards") != 1:
        problems.append(f"it has {state.get('answer_cards') or 0} answer cards instead of one")
    elif not state.get("answer_katex"):
        problems.append("the answer card's formula is not typeset")
    elif state.get("answer_tex") != ANSWER:
        problems.append(f"the answer card shows {state.get('answer_tex')!r} instead of {ANSWER!r}")
    if state.get("page_errors"):
        problems.append(f"the page logged errors ({'; '.join(state['page_errors'][:2])})")
    if state.get("blocked_requests"):
        problems.append(f"the page asked for outside resources ({state['blocked_requests'][0]})")
    return problems
