"""hsbench orchestration: scenes, splits, preparation, metrics, report and the CLI.

`svm` and `cnn` are engines that know nothing of each other; `bench` is the one
place that knows both.
"""

from hsbench.cnn.flags import set_defaults as _set_backend_defaults

__version__ = "0.1.0"

# Python runs this file before any hsbench module, so TensorFlow's oneDNN default
# (on, unless the user set TF_ENABLE_ONEDNN_OPTS) is in place before anything here imports Keras.
_set_backend_defaults()
