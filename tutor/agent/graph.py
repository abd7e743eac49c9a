"""The tutoring graph: one learner turn per run, state checkpointed after every node.

route ─┬─ answer ──▶ grade ──▶ (advance?) ──▶ next_question
       ├─ followup ─▶ followup (retrieve, cite, stay on the question)
       ├─ hint ─────▶ hint (nudge → key idea → near-answer)
       ├─ reveal / skip ─▶ next_question
       ├─ explain ──▶ explain
       ├─ compute ──▶ compute (reference-implementation tool)
       └─ command ──▶ command (/next /topic /progress /quit ...)
Events go to the caller through LangGraph's custom stream (``stream_mode="custom"``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph

from tutor.agent import prompts
from tutor.agent.events import event, question_event
from tutor.agent.records import AttemptRecord, attempt_key
from tutor.agent.routing import Decision, parse_command, route_input
from tutor.agent.state import Route, TutorState
from tutor.agent.tools import run_compute
from tutor.backends.base import ChatBackend, ChatMessage
from tutor.corpus.model import Corpus, Question
from tutor.errors import TutorError
from tutor.grading import grade, prepare_question

HINT_PENALTY = 0.25  # each hint used takes this share off the credit recorded for the question
MAX_HINTS = 3
# What an exam does not allow, and what the learner is told instead: each of these would show the answer.
EXAM_BLOCKED: dict[Route, str] = {
    "hint": "No hints in exam mode.",
    "reveal": "The answers are shown in the report at the end of the exam.",
    "explain": "No explanations during the exam: the report at the end has the reference answers.",
    "followup": "No follow-up questions during the exam: ask them after the report.",
    "compute": "No tools during the exam: work it out yourself.",
}


@dataclass
class AgentDeps:
    """What the graph needs from the layers around it, injected so tests can use fakes and a tiny corpus.

    ``backend`` and ``retriever`` return None while the model or index is still loading; nodes then fall back to
    deterministic text (grader feedback, reference answer) instead of waiting.
    """

    corpus: Corpus
    record_attempt: Callable[[AttemptRecord], None]
    pick_next: Callable[[TutorState], tuple[str | None, str]]  # -> (question id or None when done, due label)
    backend: Callable[[], ChatBackend | None] = lambda: None
    retriever: Callable[[], Any] = lambda: None
    progress_summary: Callable[[], dict[str, Any]] = lambda: {}
    # Why there is no retriever yet: still loading, or missing with the fix (the session knows which).
    retriever_unavailable: Callable[[], str] = lambda: "The search index is not available; run `tutor index build`."
    grading_mode: str = "fast"
    max_tokens: int = 256
    temperature: float = 0.2
    questions: dict[str, Question] = field(init=False)

    def __post_init__(self) -> None:
        self.questions = {q.id: q for q in self.corpus.questions}


def build_graph(deps: AgentDeps, checkpointer: Any = None) -> Any:
    """Compile the tutoring graph; tests pass an in-memory checkpointer, the app a SQLite one."""
    g = StateGraph(TutorState)
    nodes = _Nodes(deps)
    g.add_node("route", nodes.route)
    g.add_node("grade", nodes.grade)
    g.add_node("followup", nodes.followup)
    g.add_node("hint", nodes.hint)
    g.add_node("reveal", nodes.reveal)
    g.add_node("explain", nodes.explain)
    g.add_node("compute", nodes.compute)
    g.add_node("command", nodes.command)
    g.add_node("next_question", nodes.next_question)
    g.add_node("code", nodes.code)
    g.add_edge(START, "route")
    g.add_conditional_edges("route", route_after_input)
    g.add_conditional_edges("grade", advance_after_grade)
    g.add_conditional_edges("command", advance_after_command)
    g.add_conditional_edges("code", advance_after_code)
    g.add_conditional_edges("reveal", advance_after_reveal)
    for terminal in ("followup", "hint", "explain", "compute", "next_question"):
        g.add_edge(terminal, END)
    return g.compile(checkpointer=checkpointer)


RouteTarget = Literal["grade", "followup", "hint", "reveal", "next_question", "explain", "compute", "command", "code"]


def route_after_input(state: TutorState) -> RouteTarget:
    route = state.get("route")
    table: dict[Route, RouteTarget] = {
        "answer": "grade",
        "followup": "followup",
        "hint": "hint",
        "reveal": "reveal",
        "skip": "next_question",
        "start": "next_question",
        "explain": "explain",
        "compute": "compute",
        "command": "command",
        "code": "code",
    }
    if route not in table:
        raise ValueError(f"route node produced an unexpected route: {route!r}")
    return table[route]


def advance_after_grade(state: TutorState) -> Literal["next_question", "__end__"]:
    if "question_id" not in state:
        raise ValueError("grade finished without a current question in state")
    return "next_question" if state.get("question_id") is None else END


def advance_after_reveal(state: TutorState) -> Literal["next_question", "__end__"]:
    if "question_id" not in state:
        raise ValueError("reveal finished without a question_id key in state")
    # An exercise has nothing to reveal: the learner stays on it.
    return END if state.get("exercise") and state.get("question_id") is None else "next_question"


def advance_after_code(state: TutorState) -> Literal["next_question", "__end__"]:
    if "exercise" not in state:
        raise ValueError("code finished without an exercise key in state")
    return END if state.get("exercise") or state.get("question_id") else "next_question"


def advance_after_command(state: TutorState) -> Literal["next_question", "__end__"]:
    if "question_id" not in state:
        raise ValueError("command finished without a question_id key in state")
    if state.get("done") or state.get("exercise"):
        return END
    return "next_question" if state.get("question_id") is None else END


class _Nodes:
    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    # Helpers -------------------------------------------------------------------------------------------
    def _question(self, state: TutorState) -> Question | None:
        qid = state.get("question_id")
        return self.deps.questions.get(qid) if qid else None

    def _stream_text(self, prompt: str, fallback: str) -> str:
        """Stream a model reply as token events; without a model, emit the deterministic fallback as one token."""
        write = get_stream_writer()
        backend = self.deps.backend()
        if backend is None:
            write(event("token", text=fallback))
            return fallback
        messages: list[ChatMessage] = [
            {"role": "system", "content": prompts.SYSTEM},
            {"role": "user", "content": prompt},
        ]
        parts: list[str] = []
        try:
            for piece in backend.stream(messages, max_tokens=self.deps.max_tokens, temperature=self.deps.temperature):
                parts.append(piece)
                write(event("token", text=piece))
        except TutorError as exc:
            write(event("error", message=exc.user_message()))
            write(event("token", text=fallback))
            return fallback
        return "".join(parts)

    def _record(
        self,
        state: TutorState,
        question_id: str,
        topic: str,
        answer: str,
        verdict: str,
        score: float,
        flags: tuple[str, ...],
        credit: float,
    ) -> None:
        self.deps.record_attempt(
            AttemptRecord(
                attempt_key(state["session_id"], question_id, state.get("turn", 0), answer),
                state["session_id"],
                question_id,
                topic,
                answer,
                verdict,
                score,
                flags,
                credit,
                state.get("hint_level", 0),
                max(0.0, time.time() - state.get("asked_at", time.time())),
            )
        )

    def _classify(self, question: Question) -> Callable[[str], Decision] | None:
        backend = self.deps.backend()
        if backend is None:
            return None

        def classify(text: str) -> Decision:
            schema = {"type": "object", "properties": {"kind": {"enum": ["ANSWER", "FOLLOWUP"]}}, "required": ["kind"]}
            prompt = prompts.CLASSIFY.format(question=question.question, text=text[:500])
            try:
                obj = backend.complete_json([{"role": "user", "content": prompt}], schema, max_tokens=12)
            except TutorError:
                return "answer"
            return "followup" if obj.get("kind") == "FOLLOWUP" else "answer"

        return classify

    # Nodes ---------------------------------------------------------------------------------------------
    def route(self, state: TutorState) -> dict[str, Any]:
        text = state.get("input", "")
        question = self._question(state)
        if text == "" and question is None:
            route: Route = "start"
        else:
            route = route_input(
                text,
                has_question=question is not None or bool(state.get("exercise")),
                classify=self._classify(question) if question else None,
                has_exercise=bool(state.get("exercise")),
                compute_question=question is not None and question.tool is not None,
            )
        if route == "answer" and question is None and state.get("exercise"):
            route = "code"  # during a code exercise every attempt is a submission, even prose or "I don't know"
        if route == "answer" and exam_time_is_up(state):
            write_info("Time is up: this answer came after the end of the exam and is not graded.")
            return {"route": "skip", "turn": state.get("turn", 0) + 1}
        if state.get("mode") == "exam" and route in EXAM_BLOCKED:
            write_info(EXAM_BLOCKED[route])
            return {"route": "command", "input": "/noop", "turn": state.get("turn", 0) + 1}
        return {"route": route, "turn": state.get("turn", 0) + 1}

    def grade(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        question = self._question(state)
        if question is None:
            raise ValueError("grade node reached without a current question")
        answer = state.get("input", "")
        result = grade(
            question.question,
            question.answer,
            answer,
            key_points=list(question.key_points),
            misconceptions=list(question.misconceptions),
            expected=question.expected,
            tolerance=question.tolerance,
            mode=self.deps.grading_mode,
            backend=self.deps.backend() if self.deps.grading_mode != "fast" else None,
        )
        # A retry follows a grade that showed the reference answer and every missed point: it counts as fully hinted.
        hints = MAX_HINTS if state.get("tries", 0) else state.get("hint_level", 0)
        credit = round(result.score * max(0.0, 1 - HINT_PENALTY * hints), 3)
        self._record(
            {**state, "hint_level": hints},  # type: ignore[typeddict-item]
            question.id,
            question.topic,
            answer,
            result.verdict,
            result.score,
            tuple(result.flags),
            credit,
        )
        write(
            event(
                "grade",
                question_id=question.id,
                verdict=result.verdict,
                score=round(result.score, 3),
                credit=credit,
                hints_used=hints,
                matched=list(result.matched),
                missing=list(result.missing),
                misconceptions=list(result.misconceptions),
                flags=list(result.flags),
                confidence=round(result.confidence, 3),
                feedback=result.feedback,
                reference=question.answer,
            )
        )
        mode = state.get("mode")
        if mode in ("exam", "diagnostic"):
            results = [
                *state.get("exam_results", []),
                {"question_id": question.id, "verdict": result.verdict, "score": result.score},
            ]
            return {"question_id": None, "exam_results": results, "tries": state.get("tries", 0) + 1}
        prompt = prompts.FEEDBACK.format(
            question=question.question,
            verdict=result.verdict,
            score=result.score,
            matched=prompts.bullet_list(result.matched),
            # The grade event lists every missed point; the model gets the first three, since each prompt token
            # costs ~20 ms before the first feedback token on 2 cores.
            missing=prompts.bullet_list(result.missing[:3]),
            misconceptions=prompts.bullet_list(result.misconceptions),
        )
        self._stream_text(prompt, result.feedback)
        return {"question_id": None if result.verdict == "correct" else question.id, "tries": state.get("tries", 0) + 1}

    def followup(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        retriever = self.deps.retriever()
        question = self._question(state)
        text = state.get("input", "")
        if text.lower().startswith("/ask"):
            text = text[len("/ask") :].strip()
        if not text:
            write_info("Ask your question after /ask, e.g. `/ask what does the forget gate do?`")
            return {}
        if retriever is None:
            write(event("error", message=self.deps.retriever_unavailable()))
            return {}
        from tutor.retrieval.answer import answer_question

        topic = question.topic if question else state.get("topic")
        reply = answer_question(
            retriever,
            self.deps.backend(),
            text,
            topic=None,
            prefer_topic=topic,
            on_token=lambda piece: write(event("token", text=piece)),
            withhold_question=question.id if question else None,
        )
        write(event("answer", text=reply.text, citations=[c.as_dict() for c in reply.citations], found=reply.found))
        return {}

    def hint(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        question = self._question(state)
        if question is None:
            if state.get("exercise"):
                write_info("Exercises have no hint: submit your code and the per-case results show what to fix.")
                return {}
            raise ValueError("hint node reached without a current question")
        level = state.get("hint_level", 0)
        if level >= MAX_HINTS:
            write(event("info", message="That was the last hint. Try an answer, or /reveal to see the reference."))
            return {}
        level += 1
        write(event("hint", level=level, text=hint_text(question, level), penalty=HINT_PENALTY * level))
        return {"hint_level": level}

    def reveal(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        question = self._question(state)
        if question is None:
            if state.get("exercise"):
                write_info("Exercises have no reveal: submit your code and the per-case results show what to fix.")
                return {}
            raise ValueError("reveal node reached without a current question")
        self._record(state, question.id, question.topic, "/reveal", "incorrect", 0.0, ("revealed",), 0.0)
        write(event("reveal", question_id=question.id, answer=question.answer, key_points=list(question.key_points)))
        return {"question_id": None, "exercise": None}

    def explain(self, state: TutorState) -> dict[str, Any]:
        question = self._question(state)
        if question is None:
            if state.get("exercise"):
                write_info("Exercises have no explain: submit your code and the per-case results show what to fix.")
                return {}
            raise ValueError("explain node reached without a current question")
        prompt = prompts.EXPLAIN.format(question=question.question, reference=question.answer[:800])
        text = self._stream_text(prompt, question.answer)
        get_stream_writer()(event("answer", text=text, citations=[], found=True))
        return {}

    def compute(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        text = state.get("input", "")
        if text.startswith("/compute"):
            text = text[len("/compute") :].strip() or "compute"
        outcome = run_compute(text, self._question(state), self.deps.backend(), prompts.SYSTEM)
        if outcome.error:
            write(event("error", message=outcome.error))
        else:
            write(event("tool", name=outcome.name, args=outcome.args, result=outcome.result))
        return {}

    def code(self, state: TutorState) -> dict[str, Any]:
        """Grade a code submission in the sandbox against the reference tool; record it like any answer."""
        from tutor.exercises.runner import get_exercise, grade_submission

        write = get_stream_writer()
        name = state.get("exercise")
        if not name:
            raise ValueError("code node reached without an exercise in state")
        source = strip_fences(state.get("input", ""))
        function = get_exercise(name).signature.split("(")[0]
        if "def " not in source and not re.search(rf"^\s*{re.escape(function)}\s*=", source, re.M):
            write_info(
                f"Paste your implementation of `{get_exercise(name).signature}` (a ``` fenced block keeps it in one "
                "message), or /skip to leave the exercise."
            )
            return {}
        try:
            result = grade_submission(name, source)
        except TutorError as exc:
            write(event("error", message=exc.user_message()))
            return {}
        verdict = result.answer_verdict
        question = self._question(state)
        question_id = question.id if question else f"exercise:{name}"
        topic = question.topic if question else get_exercise(name).topic
        credit = round(result.score * max(0.0, 1 - HINT_PENALTY * state.get("hint_level", 0)), 3)
        self._record(state, question_id, topic, source, verdict, result.score, (f"exercise_{result.verdict}",), credit)
        write(
            event(
                "grade",
                question_id=question_id,
                verdict=verdict,
                score=round(result.score, 3),
                credit=credit,
                hints_used=state.get("hint_level", 0),
                matched=[c["case"] for c in result.cases if c["passed"]],
                missing=[c["case"] for c in result.cases if not c["passed"]],
                misconceptions=[],
                flags=[f"exercise_{result.verdict}"],
                confidence=1.0,
                feedback=(result.message + " " + result.hint).strip(),
                reference="",
                exercise=result.as_dict(),
            )
        )
        if result.verdict != "pass":
            return {}
        return {"exercise": None, "question_id": None}

    def command(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        name, arg = parse_command(state.get("input", ""))
        if name == "/noop":
            return {}
        if name == "/quit":
            if state.get("mode") in ("exam", "diagnostic"):
                write(self._report(state, finished_early=True))
            write(event("info", message="Progress saved. See you next time."))
            return {"done": True}
        if name in ("/next", "/skip"):
            return {"question_id": None, "exercise": None, "exam_results": self._with_skipped(state)}
        if name in ("/topic", "/exercise") and state.get("mode") == "exam":
            write_info("Not during the exam: answer, /skip, or /quit to end it with its report.")
            return {}
        if name == "/topic":
            topics = {t.topic for t in self.deps.corpus.topics}
            if arg not in topics:
                write(event("error", message=f"unknown topic {arg!r}; topics: {', '.join(sorted(topics))}"))
                return {}
            write(event("info", message=f"Switched to topic {arg}."))
            return {"topic": arg, "question_id": None, "exercise": None, "mode": "learn"}
        if name == "/exercise":
            return self._hand_out_exercise(arg)
        if name == "/progress":
            write(event("info", message="progress", progress=self.deps.progress_summary()))
            return {}
        if name in ("/hint", "/reveal", "/explain", "/compute"):
            raise ValueError(f"{name} must be routed to its own node, not to command")
        write(
            event(
                "info",
                message="Commands: /next /hint /skip /reveal /compute /explain /ask QUESTION /topic NAME "
                "/exercise [NAME] /progress /quit",
            )
        )
        return {}

    def _hand_out_exercise(self, name: str, due: str = "exercise") -> dict[str, Any]:
        from tutor.exercises.catalog import EXERCISES

        write = get_stream_writer()
        if name not in EXERCISES:
            write(event("info", message="Exercises: " + ", ".join(EXERCISES) + ". Start one with /exercise NAME."))
            return {}
        write(exercise_question_event(name, due=due))
        return {"exercise": name, "question_id": None, "hint_level": 0, "tries": 0, "asked_at": time.time()}

    def _with_skipped(self, state: TutorState) -> list[dict[str, object]]:
        """Exam and diagnostic results, with the current question counted as skipped if it is being left."""
        results = list(state.get("exam_results", []))
        qid = state.get("question_id")
        if state.get("mode") in ("exam", "diagnostic") and qid and all(r["question_id"] != qid for r in results):
            results.append({"question_id": qid, "verdict": "skipped", "score": 0.0})
        return results

    def _report(self, state: TutorState, *, finished_early: bool = False, timed_out: bool = False) -> dict[str, Any]:
        """The end-of-exam (or diagnostic) report: every planned question, its verdict and the reference answer."""
        results = state.get("exam_results", [])
        by_id = {str(r["question_id"]): r for r in results}
        rows = []
        for qid in state.get("queue") or list(by_id):
            question = self.deps.questions.get(qid)
            if question is None:
                continue
            result = by_id.get(qid, {"verdict": "unanswered", "score": 0.0})
            rows.append(
                {
                    "question_id": qid,
                    "topic": question.topic,
                    "question": question.question,
                    "verdict": result["verdict"],
                    "score": result["score"],
                    "reference": question.answer,
                }
            )
        elapsed = time.time() - state.get("started_at", time.time())
        return event(
            "report",
            mode=state.get("mode"),
            results=rows,
            correct=sum(1 for r in rows if r["verdict"] == "correct"),
            answered=sum(1 for r in rows if r["verdict"] not in ("skipped", "unanswered")),
            total=len(rows),
            elapsed_s=round(elapsed, 1),
            time_limit_s=state.get("time_limit_s"),
            finished_early=finished_early,
            timed_out=timed_out,
        )

    def next_question(self, state: TutorState) -> dict[str, Any]:
        write = get_stream_writer()
        exam_like = state.get("mode") in ("exam", "diagnostic")
        limit = state.get("time_limit_s")
        timed_out = exam_time_is_up(state)
        # Reached with a question still current only when it is skipped, or left unanswered when time ran out.
        results = list(state.get("exam_results", [])) if timed_out else self._with_skipped(state)
        qid, due = (None, "") if timed_out else self.deps.pick_next(state)
        if qid is None:
            if exam_like:
                if timed_out:
                    write_info("Time is up.")
                write(self._report({**state, "exam_results": results}, timed_out=timed_out))
            write(event("info", message="No more questions in this session."))
            return {"question_id": None, "done": True, "exam_results": results}
        if qid.startswith("exercise:"):  # a code exercise whose card is due comes back as the exercise
            return {"exam_results": results, **self._hand_out_exercise(qid.removeprefix("exercise:"), due=due)}
        question = self.deps.questions[qid]
        queue = state.get("queue") or []
        number = len(state.get("asked", [])) + 1
        time_left = limit - (time.time() - state.get("started_at", time.time())) if limit else None
        write(question_event(question, due=due, number=number, total=len(queue) or None, time_left_s=time_left))
        if question.kind == "code" and state.get("mode") != "exam":
            write_info(code_exercise_note(question))
        if not question.exercise:
            # Embed the reference and key points while the learner reads and types, so that grading the answer
            # only embeds the answer (~20 ms instead of ~100 ms).
            prepare_question(question.question, question.answer, question.key_points, question.misconceptions)
        return {
            "exam_results": results,
            "question_id": qid,
            "exercise": question.exercise,
            "hint_level": 0,
            "tries": 0,
            "asked_at": time.time(),
            "asked": [*state.get("asked", []), qid],
        }


def exercise_question_event(name: str, *, due: str = "exercise") -> dict[str, Any]:
    """A code exercise shown as a question: its signature, its task, and how to submit."""
    from tutor.exercises.catalog import EXERCISES

    ex = EXERCISES[name]
    return event(
        "question",
        id=f"exercise:{ex.name}",
        topic=ex.topic,
        difficulty=2,
        kind="code",
        text=f"Implement `{ex.signature}`. {ex.task} Paste your code (numpy and the standard library only).",
        due=due,
        number=None,
        total=None,
        time_left_s=None,
    )


def code_exercise_note(question: Question) -> str:
    """How to answer a code question: in the sandbox when one is bound to it, else where its topic has one."""
    from tutor.exercises.catalog import EXERCISES

    if question.exercise:
        signature = EXERCISES[question.exercise].signature
        return (
            f"Code exercise: write `{signature}` (NumPy and the standard library) and paste it in a ``` block to "
            "run it against the reference, or answer in words."
        )
    related = [name for name, ex in EXERCISES.items() if ex.topic == question.topic]
    if related:
        return "Answer in words or code. To run your own implementation against the reference: " + ", ".join(
            f"/exercise {name}" for name in related
        )
    return "Answer in words or code; a sketch of the implementation with its key steps is enough."


def exam_time_is_up(state: TutorState) -> bool:
    limit = state.get("time_limit_s")
    return bool(limit) and time.time() - state.get("started_at", time.time()) > limit  # type: ignore[operator]


def write_info(message: str) -> None:
    get_stream_writer()(event("info", message=message))


def strip_fences(text: str) -> str:
    """Code pasted inside a Markdown fence: keep what is between the fences."""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("```")]
    return "\n".join(lines).strip() + "\n"


def hint_text(question: Question, level: int) -> str:
    """Three rungs built from the authored key points: a nudge, the key idea, then nearly the whole answer."""
    points = list(question.key_points) or [question.answer]
    if level == 1:
        asked = {w.lower() for w in re.findall(r"[A-Za-z_]+", question.question)}
        words = [w for w in re.findall(r"[A-Za-z_]+", points[0]) if len(w) > 4 and w.lower() not in asked]
        longest = sorted(dict.fromkeys(words), key=len, reverse=True)[:3]
        ordered = [w for w in dict.fromkeys(words) if w in longest]
        return f"Think about: {', '.join(ordered)}." if ordered else "Think about the main mechanism involved."
    if level == 2:
        return f"Key idea: {points[0]}"
    return "Nearly there. A full answer covers: " + " ".join(
        f"({i}) {p}" for i, p in enumerate(points[:-1] or points, 1)
    )
