"""attnlab report in a real browser (Debian's chromium, driven by selenium).

Runs tests/analysis/recorded_heads.yaml (1 and 2 heads, two layers), writes
the report with --ablate, and checks: the page is one file that loads
nothing from a network; it lists every arm, the comparison, the head metrics
and the plots; the explorer is there, and hovering a token changes where each
head's highlights are; switching to the two-head arm shows two heads whose
highlights change on hover; a screenshot is not blank. Then: a missing
plotting package is named with what to install. Usage: check_report.py ATTNLAB"""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

import matplotlib.image
import numpy as np
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

attnlab = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
work = tempfile.mkdtemp()
atexit.register(shutil.rmtree, work, ignore_errors=True)
out = os.path.join(work, "run")
subprocess.run([attnlab, "run", os.path.join(here, "recorded_heads.yaml"), "-o", f"output={out}",
                "--quiet"], check=True, stdout=subprocess.DEVNULL)
written = subprocess.run([attnlab, "report", out, "--ablate"], check=True, capture_output=True,
                         text=True).stdout.strip()
report = os.path.join(out, "analysis", "report.html")
assert written == report, written
html = open(report, encoding="utf-8").read()
assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "the report loads from a network"
assert "<script src" not in html and "<link" not in html
assert html.count("data:image/png;base64,") >= 5, "plots are embedded"

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1800",
                 "--disable-dev-shm-usage"):
    options.add_argument(argument)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
atexit.register(driver.quit)
driver.get("file://" + report)
assert "recorded_heads" in driver.title, driver.title
text = driver.find_element(By.TAG_NAME, "body").text
for arm in ("heads.count=1", "heads.count=2"):
    assert arm in text, arm
for section in ("What ran", "Arms compared over seeds", "Heads", "Plots", "Attention explorer",
                "best induction", "permutation sensitivity", "worst single (zero)"):
    assert section in text, section
arms = [o.text for o in Select(driver.find_element(By.ID, "ex-arm")).options]
assert arms == ["heads.count=1", "heads.count=2"], arms


def highlights(head):
    return [span.value_of_css_property("background-color")
            for span in driver.find_elements(By.CSS_SELECTOR, f"#ex-head-{head} .keys span")]


def hover(query):
    token = driver.find_elements(By.CSS_SELECTOR, "#ex-tokens span")[query]
    ActionChains(driver).move_to_element(token).perform()


def check_hover_changes(heads):
    assert len(driver.find_elements(By.CSS_SELECTOR, "#ex-heads .head")) == heads
    tokens = driver.find_elements(By.CSS_SELECTOR, "#ex-tokens span")
    assert len(tokens) >= 4, len(tokens)
    hover(1)
    before = [highlights(h) for h in range(heads)]
    assert "active" in tokens[1].get_attribute("class")
    hover(len(tokens) - 1)
    after = [highlights(h) for h in range(heads)]
    for h in range(heads):
        assert before[h] != after[h], f"head {h}'s highlights did not follow the hovered token"
    assert "active" not in tokens[1].get_attribute("class")


check_hover_changes(1)
Select(driver.find_element(By.ID, "ex-arm")).select_by_visible_text("heads.count=2")
check_hover_changes(2)
layers = [o.text for o in Select(driver.find_element(By.ID, "ex-module")).options]
assert [l.split()[0] for l in layers] == ["decoder.layers.0.self_attn", "decoder.layers.1.self_attn"]

screenshot = os.path.join(work, "report.png")
driver.save_screenshot(screenshot)
pixels = matplotlib.image.imread(screenshot)[..., :3]
ink = np.mean(np.any(pixels < 0.95, axis=-1))
assert ink > 0.05 and len(np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50, ink

fake = os.path.join(work, "fake")  # matplotlib missing: the report says what to install
os.makedirs(os.path.join(fake, "matplotlib"))
with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
    f.write("raise ImportError('no matplotlib here', name='matplotlib')\n")
missing = subprocess.run([attnlab, "report", out], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=fake))
assert missing.returncode == 1, missing
assert "apt-get install python3-h5py python3-numpy python3-matplotlib" in missing.stderr, missing.stderr
print("report: one file, every arm and section present; the explorer's heads follow the hovered "
      "token in both arms; the screenshot is not blank; a missing package is named")
