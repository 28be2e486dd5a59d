"""attnlab.compare: the table `attnlab compare OUTPUT_DIR` prints, as records:
one dict per arm, under the field names of its CSV and JSON forms (an interval
is three fields: the value, <field>_boot_low or _ci_low, and _high; every digit)."""
import json

from ._core_loader import core

__all__ = ["compare", "Table"]


class Table(list):
    """A list of records (one dict per row) with what the printed table says
    around them: .title, .notes (what the numbers cannot say) and .left_out
    (the trials not in it: not finished, failed or diverged)."""

    def __init__(self, rows, title="", notes=(), left_out=()):
        super().__init__(rows)
        self.title = title
        self.notes = list(notes)
        self.left_out = list(left_out)

    def to_frame(self):
        """The records as a pandas DataFrame (ImportError without pandas)."""
        try:
            import pandas
        except ImportError as error:
            raise ImportError("Table.to_frame needs pandas, which cannot be imported here; the "
                              "Table itself is a list of dicts") from error
        return pandas.DataFrame.from_records(list(self))


def compare(output_dir, metric="eval_accuracy", baseline=None, paired=False,
            interval="bootstrap", solved=None, at=None):
    """Every arm of a run against a baseline arm over seeds, as `attnlab compare` computes it:
    each arm's mean with its 95% interval, the difference with its interval, Welch's and the
    Mann-Whitney p (paired=True: paired t and Wilcoxon signed-rank), Holm-adjusted.

    output_dir: an output directory, or the Output attnlab.open / attnlab.run returned;
    metric: a final figure (eval_accuracy, eval_loss@32, eval_exact_match, train_loss, ...);
    baseline: KEY=VALUE or an arm's label (None: the plan's first arm); interval: 'bootstrap'
    or 't'; solved: also count the seeds that reached this value; at: under tune:, every arm at
    this tuned value. Returns a Table (a list of dicts). ConfigError naming the choices for a
    figure or a baseline that matches nothing."""
    directory = getattr(output_dir, "directory", output_dir)
    text, left_out = core().compare_json(directory, metric, baseline, paired, interval, solved, at)
    table = json.loads(text)
    return Table(table["rows"], table["title"], table["notes"], left_out)
