#!/bin/bash
# Writes data/kjv.txt: the King James Version of the Bible (1611, public
# domain), Genesis to Revelation, one verse per line without its reference,
# from Debian's bible-kjv-text package (read through its `bible` program).
# The file in the repository was made by this script; it is the char_lm task's
# default corpus (data/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v bible >/dev/null || { echo "needs Debian's bible-kjv and bible-kjv-text (apt-get install bible-kjv)" >&2; exit 1; }
COLUMNS=100000 bible -f "gen1:1-rev22:21" |
  sed -E 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //' > data/kjv.txt.partial
mv data/kjv.txt.partial data/kjv.txt
wc -c data/kjv.txt
