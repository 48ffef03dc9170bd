"""hsbench orchestration: scenes, splits, preparation, metrics, report and the CLI.

`svm` and `cnn` are engines that know nothing of each other; `bench` is the one
place that knows both.
"""

__version__ = "0.1.0"
