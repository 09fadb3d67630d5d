"""``detect_anomaly``: find the forward operation whose backward produced NaN."""

from .graph import anomaly_mode

__all__ = ["detect_anomaly", "set_detect_anomaly"]


class detect_anomaly:
    """Context manager (and decorator) that checks every backward result for NaN.

    While on, each recorded node keeps the stack of the forward call that made
    it; a backward step that returns NaN raises ``AutogradError`` naming the
    node (``LogBackward0``) and showing that forward call. It costs time: use
    it to debug, not to train.

    Args:
        check_nan: check backward results for NaN (default True).
    """

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = anomaly_mode.enabled
        anomaly_mode.enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        anomaly_mode.enabled = self._prev
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):
    """Turn anomaly detection on or off, as a context manager."""

    def __init__(self, mode, check_nan=True):
        super().__init__(bool(mode) and check_nan)
