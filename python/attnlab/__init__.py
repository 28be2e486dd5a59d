"""attnlab from Python (docs/python.md walks through it).

    import attnlab          # PYTHONPATH=build/python in a build tree, or
                            # PREFIX/share/attnlab/python after cmake --install
    out = attnlab.run("experiments/induction.yaml", overrides=["seeds=2"], output="runs/x")
    trial = out.trials[0]                 # .config (dict), .arm, .axes, .seed, .status, .final
    curves = trial.metrics("eval")        # {name: NumPy array}
    weights = trial.activations("decoder.layers.0.self_attn.weights")   # .array, .dims
    table = attnlab.compare(out.directory, metric="eval_accuracy")       # records
    model = attnlab.Model.load(trial.file)
    logits, cache = model.run_with_cache(tokens, names=["**.weights"])

Everything above comes from the compiled module attnlab._core, imported the
first time one of its names is used, so `import attnlab` and
attnlab.torch_model (an exported model in PyTorch; torch only) work without
it. Errors attnlab raises are attnlab.Error (a RuntimeError), ConfigError and
ShapeError (also ValueErrors) and IoError, each with attnlab's message."""
import importlib

# The names of attnlab._core this package gives, and those of its own modules.
_CORE_NAMES = ("Error", "ConfigError", "ShapeError", "IoError", "version", "threads",
               "set_threads", "plugins", "load_plugins", "plan", "run", "open", "Model",
               "Output", "Trial", "Activation", "ActivationCache")
_MODULE_NAMES = {"compare": "comparison", "Table": "comparison"}

# Not "open": `from attnlab import *` would hide the built-in open.
__all__ = [name for name in _CORE_NAMES if name != "open"] + list(_MODULE_NAMES)


def __getattr__(name):
    if name in _CORE_NAMES:
        from ._core_loader import core
        value = getattr(core(), name)
    elif name in _MODULE_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_MODULE_NAMES[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # looked up once
    return value


def __dir__():
    return sorted(set(globals()) | set(_CORE_NAMES) | set(_MODULE_NAMES))
