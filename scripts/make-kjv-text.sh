#!/bin/bash
# Writes data/kjv-pentateuch.txt: Genesis to Deuteronomy of the King James
# Version (1611, public domain), one verse per line without its reference,
# from Debian's bible-kjv-text package (read through its `bible` program).
# The file in the repository was made by this script; it is the char_lm task's
# default corpus (data/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v bible >/dev/null || { echo "needs Debian's bible-kjv and bible-kjv-text (apt-get install bible-kjv)" >&2; exit 1; }
COLUMNS=100000 bible -f "gen1:1-deu34:12" |
  sed -E 's/^[1-3]?[A-Za-z]+[0-9]+:[0-9]+ //' > data/kjv-pentateuch.txt.partial
mv data/kjv-pentateuch.txt.partial data/kjv-pentateuch.txt
wc -c data/kjv-pentateuch.txt
