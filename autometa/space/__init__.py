"""The learner spaces as scikit-learn pipelines, the metric registry, and fitting under a time limit."""
