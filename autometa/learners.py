"""``autometa.learners``, as public code knows it: the learner spaces. Their home is
``autometa/space/learners.py``; this name stays so that ``autometa.learners.space(...)`` and
``from autometa.learners import get_config`` keep working."""

from autometa.space.learners import *  # noqa: F403
from autometa.space.learners import __all__  # noqa: F401
