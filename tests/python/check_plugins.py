"""attnlab.plugins() lists what `attnlab plugins --json` lists, one record per
component (kind, name, description, origin, capabilities, parameters), and
attnlab.load_plugins loads a plugin library as --plugin does: its components
appear with the library as their origin, a second load is a no-op, and a
library built for another plugin API is refused naming it.
Usage: check_plugins.py ATTNLAB PLUGIN BAD_VERSION_PLUGIN
"""
import json
import os
import subprocess
import sys

import attnlab

attnlab_cli = sys.argv[1]
plugin, bad_plugin = os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])


def listed_by_cli(*options):
    kinds = json.loads(subprocess.run([attnlab_cli, "plugins", "--json", *options], check=True,
                                      capture_output=True, text=True).stdout)
    return [dict(entry, kind=kind) for kind, entries in kinds.items() for entry in entries]


built_in = attnlab.plugins()
assert built_in == listed_by_cli(), "attnlab.plugins() differs from attnlab plugins --json"
assert {"attention", "positional", "heads", "tasks"} == {record["kind"] for record in built_in}
softmax = next(r for r in built_in if r["kind"] == "attention" and r["name"] == "softmax")
assert softmax["origin"] == "built-in" and softmax["capabilities"]["head_gating"] is True

assert attnlab.load_plugins(plugin) == [plugin]
with_plugin = attnlab.plugins()
added = [record for record in with_plugin if record["origin"] == plugin]
assert added and all(record["name"].startswith("test_") for record in added), added
assert with_plugin == listed_by_cli("--plugin", plugin)
assert attnlab.load_plugins([plugin]) == [plugin] and attnlab.plugins() == with_plugin  # a no-op

try:
    attnlab.load_plugins(bad_plugin)
    raise AssertionError("a plugin of another API version was loaded")
except attnlab.ConfigError as error:
    assert bad_plugin in str(error) and "999" in str(error), str(error)
assert attnlab.plugins() == with_plugin
print("attnlab.plugins and attnlab.load_plugins: OK")
