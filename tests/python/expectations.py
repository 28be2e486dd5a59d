"""What the Python checks expect of a call that must fail."""


def refused(error_type, expected, call, *args, **kwargs):
    """call(*args, **kwargs) raises error_type, with every string of `expected` in its
    message; returns the error."""
    try:
        call(*args, **kwargs)
    except error_type as error:
        assert all(part in str(error) for part in expected), (expected, str(error))
        return error
    raise AssertionError(f"{call} did not raise {error_type.__name__} ({expected})")
