"""Helpers shared by the sales DAGs."""


def summarize(day: str) -> dict:
    return {"day": day, "total": 0}
