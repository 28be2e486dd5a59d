"""Checks that two output directories of the same experiment hold the same
finished trials with bit-identical results: loss curves, evaluations, final
figures, parameters and recorded activations (provenance such as wall time and
creation time may differ).

usage: compare_runs.py DIR_A DIR_B
"""
import os
import sys

import h5py
import numpy as np

a_dir, b_dir = sys.argv[1], sys.argv[2]


def finished(directory):
    return sorted(f[:-3] for f in os.listdir(f"{directory}/trials") if f.endswith(".h5"))


a_ids, b_ids = finished(a_dir), finished(b_dir)
assert a_ids == b_ids, f"different finished trials:\n{a_ids}\n{b_ids}"
assert a_ids, "no finished trials"


def datasets(group):
    found = {}
    group.visititems(lambda name, obj: found.update({name: obj[()]})
                     if isinstance(obj, h5py.Dataset) else None)
    return found


for trial_id in a_ids:
    with h5py.File(f"{a_dir}/trials/{trial_id}.h5") as a, h5py.File(f"{b_dir}/trials/{trial_id}.h5") as b:
        assert a.attrs["config_yaml"] == b.attrs["config_yaml"]
        assert dict(a["final"].attrs) == dict(b["final"].attrs), trial_id
        a_data, b_data = datasets(a), datasets(b)
        assert a_data.keys() == b_data.keys(), trial_id
        for name in a_data:
            assert np.array_equal(a_data[name], b_data[name], equal_nan=True), (trial_id, name)
print(f"{len(a_ids)} trials identical in {a_dir} and {b_dir}")
