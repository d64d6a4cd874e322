"""django-q2 entry point of generation jobs. An adapter only: it takes an id and calls the worker side."""

from __future__ import annotations

from library.generation import jobs


def run_generation(generated_text_id: int) -> None:
    jobs.generation_run(generated_text_id=generated_text_id)
