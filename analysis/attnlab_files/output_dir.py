"""An output directory read as the C++ side reads it: finished trials opened by
their path in the layout and checked, their figures, curves and recordings."""
import os

from .checks import open_checked, read_dataset
from .contract import (TRAIN_LOSS_FIGURE, TRIAL_FILE_PATHS, FileError, config_hash,
                       evaluation_group, hdf5_path, parse_figure, path_in, snapshot_group,
                       text_of)


# -- an output directory -------------------------------------------------------------------
class Trial:
    """A finished trial whose file passed every check; `file` is its open h5py.File."""

    def __init__(self, trial_id, h5file):
        self.id = trial_id
        self.file = h5file
        self.arm = text_of(h5file.attrs["arm"])
        self.seed = int(h5file.attrs["seed"])
        self.config_yaml = text_of(h5file.attrs["config_yaml"])
        axes = TRIAL_FILE_PATHS["axes"]
        self.axes = ({k: text_of(v) for k, v in h5file[axes].attrs.items()}
                     if axes in h5file else {})

    def figures(self):
        """The final figures: {name: value}."""
        return {name: float(value)
                for name, value in self.file[TRIAL_FILE_PATHS["final"]].attrs.items()}

    def training_length(self):
        """The length whose evaluated figures carry no @L."""
        evaluation = self.file[TRIAL_FILE_PATHS["evaluation"]]
        return int(evaluation.attrs[TRIAL_FILE_PATHS["training_length"]])

    def tokens(self):
        """What the task's tokens are, as it declared: "bytes" of a text or "ids"."""
        inputs = self.file.get(TRIAL_FILE_PATHS["inputs"])
        return text_of(inputs.attrs["tokens"]) if inputs is not None and \
            "tokens" in inputs.attrs else "ids"

    def curve(self, figure):
        """(steps, values) of a final figure's curve: train_loss or an eval_ figure."""
        if figure == TRAIN_LOSS_FIGURE:
            steps, values = (TRIAL_FILE_PATHS["train_steps"],
                             f"{TRIAL_FILE_PATHS['train']}/loss")
        else:
            metric, length, setting = parse_figure(figure)
            if not figure.startswith("eval_"):
                raise FileError(f"'{figure}' has no curve: curves exist for train_loss and the "
                                "eval_ figures")
            group = evaluation_group(setting, self.training_length() if length is None
                                     else length)
            steps, values = TRIAL_FILE_PATHS["evaluation_steps"], f"{group}/{metric}"
        if values not in self.file:
            raise FileError(f"{self.file.filename}: no curve /{values}")
        return read_dataset(self.file[steps]), read_dataset(self.file[values])

    def evaluations(self):
        """{setting (None: the task as trained): {length: [metric, ...]}}: what the trial
        evaluated, read by the templates of TRIAL_FILE_PATHS."""
        def lengths(group_path):
            group = self.file.get(group_path)
            prefix = TRIAL_FILE_PATHS["evaluation_group"].rsplit("/", 1)[1][:-len("<L>")]
            return {int(name[len(prefix):]): sorted(group[name]) for name in (group or {})
                    if name.startswith(prefix) and name[len(prefix):].isdigit()}
        found = {None: lengths(TRIAL_FILE_PATHS["evaluation"])}
        settings = TRIAL_FILE_PATHS["setting_group"].split("/<setting>/", 1)[0]
        for setting in self.file.get(settings, {}):
            found[setting] = lengths(f"{settings}/{setting}")
        return found

    def snapshots(self):
        """The recording steps, in order."""
        snapshot = TRIAL_FILE_PATHS["snapshot"]
        folder, prefix = snapshot.rsplit("/", 1)[0], snapshot.rsplit("/", 1)[1][:-len("<NNNNNN>")]
        recorded = self.file.get(folder, {})
        return sorted(int(name[len(prefix):]) for name in recorded
                      if name.startswith(prefix) and name[len(prefix):].isdigit())

    def activation(self, name, step=None):
        """(values, dimension names) of a recorded tensor at `step` (default: the last)."""
        steps = self.snapshots()
        if not steps:
            raise FileError(f"{self.file.filename}: records no activations")
        step = steps[-1] if step is None else step
        path = hdf5_path(snapshot_group(step), name)
        if path not in self.file:
            raise FileError(f"{self.file.filename}: no activation {name} at step {step}")
        dataset = self.file[path]
        return read_dataset(dataset), [text_of(d) for d in dataset.attrs["dims"]]

    def inputs(self):
        """{name: ids} of the recorded examples (source, target_input, targets)."""
        group = self.file.get(TRIAL_FILE_PATHS["inputs"], {})
        return {name: read_dataset(group[name]) for name in group}


class OutputDir:
    """An experiment's output directory, read as the C++ side reads it."""

    def __init__(self, directory):
        if not os.path.isdir(directory):
            raise FileError(f"{directory}: no such output directory")
        self.path = directory

    def path_of(self, name, trial_id=None):
        return path_in(self.path, name, trial_id)

    def results(self):
        """results.h5, checked (kind experiment, schema, seal)."""
        path = self.path_of("results_h5")
        if not os.path.exists(path):
            raise FileError(f"{self.path}: no results.h5; 'attnlab run' writes it when trials "
                            "finish")
        return open_checked(path, "experiment")

    def arms(self):
        with self.results() as results:
            return [text_of(a) for a in results["arms"].attrs["labels"]]

    def finished_trials(self, every_tuned_value=False):
        """([Trial, ...], [(id, reason), ...]): the trials results.h5 lists as finished
        whose files pass every check (kind, schema, seal, id), in plan order of arms, then
        seeds; and those left out, with why. Trials are opened by their path in the
        layout, never through results.h5's links, and each must hold its own id. Under
        tune: only the trials the tables report (each arm at its selected value, results.h5
        trials/reported), unless every_tuned_value."""
        trials_folder = self.path_of("trials")
        if os.path.islink(trials_folder):
            raise FileError(f"{trials_folder}: is a symbolic link; attnlab reads and writes only "
                            "real folders of the output directory (a link would lead outside "
                            "it). Remove the link")
        with self.results() as results:
            attributes = results["trials"].attrs
            which = "reported" if "reported" in attributes and not every_tuned_value \
                else "finished"
            listed = [text_of(t) for t in attributes[which]]
            arms = [text_of(a) for a in results["arms"].attrs["labels"]]
        trials, left_out = [], []
        for trial_id in listed:
            try:
                trials.append(self.trial(trial_id))
            except FileError as error:
                left_out.append((trial_id, str(error)))
        trials.sort(key=lambda t: (arms.index(t.arm) if t.arm in arms else len(arms), t.seed))
        return trials, left_out

    def trial(self, trial_id):
        """One trial's file, checked as finished_trials checks it."""
        h5file = open_checked(self.path_of("trial_file", trial_id), "trial")
        try:
            stored = text_of(h5file.attrs.get("trial_id", ""))
            config = text_of(h5file.attrs.get("config_yaml", ""))
            if stored != trial_id or config_hash(config) != trial_id:
                raise FileError(f"{h5file.filename}: holds trial {stored} (its configuration "
                                f"hashes to {config_hash(config)}), not trial {trial_id}: copied "
                                "or renamed")
            if text_of(h5file.attrs.get("status", "")) != "finished":
                raise FileError(f"{h5file.filename}: not finished")
            return Trial(trial_id, h5file)
        except BaseException:
            h5file.close()
            raise

    def analysis_file(self, kind):
        """analysis/head_metrics.h5 or head_ablation.h5, checked."""
        return open_checked(self.path_of(f"{kind}_h5"), kind)

