"""The HTML report and its SVG charts, from an estimator's public state."""
