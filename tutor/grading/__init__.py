"""Grading free-text answers: calibrated features + a learned combiner, with an optional LLM judge."""

from tutor.grading.grader import MODES, Grade, grade, prepare_question

__all__ = ["MODES", "Grade", "grade", "prepare_question"]
