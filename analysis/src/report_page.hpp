// The report's fixed parts: its style sheet and the explorer's script
// (plain JavaScript, no library, no network). Private to analysis/.
#pragma once

namespace attnlab::analysis {

inline constexpr const char* kReportStyle = R"css(
body { font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; font-weight: normal; font-style: italic; }
table { border-collapse: collapse; font-size: 0.85em; margin-bottom: 0.5em; }
td, th { border: 1px solid #ddd; padding: 3px 6px; } td.n { text-align: right; font-family: monospace; }
th { background: #f3f3f3; } ul.notes { font-size: 0.85em; color: #555; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
img.plot { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
#explorer select { margin-right: 1em; }
.tokens span, .keys span { display: inline-block; min-width: 1.6em; text-align: center;
  margin: 1px; padding: 2px 3px; border: 1px solid #ccc; font-family: monospace; font-size: 0.85em; }
.tokens span { cursor: pointer; background: #fff; } .tokens span.active { border: 2px solid #d62728; }
.heads { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 1em; }
.head { border: 1px solid #ddd; padding: 6px; } .head h4 { margin: 0 0 4px 0; font-size: 0.9em; }
)css";

inline constexpr const char* kExplorerScript = R"js(
(function () {
  const data = JSON.parse(document.getElementById('explorer-data').textContent);
  const $ = (id) => document.getElementById(id);
  const fill = (select, items) => {
    select.innerHTML = '';
    items.forEach(([value, text]) => {
      const option = document.createElement('option');
      option.value = value; option.textContent = text; select.appendChild(option);
    });
  };
  const trialsOf = (arm) => data.trials.filter((t) => t.arm === arm);
  const current = () => {
    const trial = data.trials.find((t) => t.id === $('ex-trial').value);
    const module = trial.modules[Number($('ex-module').value)];
    return { trial, module, example: module.examples[Number($('ex-example').value)] };
  };
  function drawHeatmap(canvas, weights, query) {
    const cell = Math.max(3, Math.min(14, Math.floor(180 / Math.max(1, weights[0].length))));
    canvas.width = weights[0].length * cell; canvas.height = weights.length * cell;
    const context = canvas.getContext('2d');
    weights.forEach((row, i) => row.forEach((w, j) => {
      const shade = Math.round(255 * (1 - Math.min(1, w)));
      context.fillStyle = `rgb(${shade},${shade},255)`;
      context.fillRect(j * cell, i * cell, cell, cell);
    }));
    context.strokeStyle = '#d62728'; context.lineWidth = 2;
    context.strokeRect(0, query * cell, canvas.width, cell);
  }
  function showQuery(query) {
    const { example } = current();
    document.querySelectorAll('#ex-tokens span').forEach((span, i) =>
      span.classList.toggle('active', i === query));
    example.weights.forEach((headWeights, h) => {
      const row = headWeights[query];
      document.querySelectorAll(`#ex-head-${h} .keys span`).forEach((span, j) => {
        const w = row[j];
        span.style.backgroundColor = `rgba(31, 119, 180, ${w.toFixed(3)})`;
        span.style.color = w > 0.5 ? '#fff' : '#000';
        span.title = `head ${h}: weight ${w.toFixed(3)} on key ${j}`;
      });
      drawHeatmap(document.querySelector(`#ex-head-${h} canvas`), headWeights, query);
    });
    $('ex-query').textContent = `position ${query}, token ${example.query[query]}`;
  }
  function render() {
    const { module, example } = current();
    const tokens = $('ex-tokens');
    tokens.innerHTML = '';
    example.query.forEach((label, i) => {
      const span = document.createElement('span');
      span.textContent = label; span.dataset.query = i; span.title = `position ${i}`;
      span.addEventListener('mouseenter', () => showQuery(i));
      tokens.appendChild(span);
    });
    const heads = $('ex-heads');
    heads.innerHTML = '';
    for (let h = 0; h < module.heads; h++) {
      const panel = document.createElement('div');
      panel.className = 'head'; panel.id = `ex-head-${h}`;
      panel.innerHTML = `<h4>head ${h}</h4><div class="keys"></div><canvas></canvas>`;
      example.key.forEach((label, j) => {
        const span = document.createElement('span');
        span.textContent = label; span.title = `key position ${j}`;
        panel.querySelector('.keys').appendChild(span);
      });
      heads.appendChild(panel);
    }
    showQuery(example.query.length - 1);
  }
  function chooseTrial() {
    const trial = data.trials.find((t) => t.id === $('ex-trial').value);
    fill($('ex-module'), trial.modules.map((m, i) => [i, `${m.name} (${m.heads} heads)`]));
    $('ex-module').value = String(trial.modules.length - 1);
    chooseModule();
  }
  function chooseModule() {
    const kept = Number($('ex-example').value || 0);  // the same input across arms and trials
    const trial = data.trials.find((t) => t.id === $('ex-trial').value);
    const module = trial.modules[Number($('ex-module').value)];
    fill($('ex-example'), module.examples.map((e, i) => [i, `example ${i}`]));
    $('ex-example').value = String(Math.min(kept, module.examples.length - 1));
    render();
  }
  function chooseArm() {
    fill($('ex-trial'), trialsOf($('ex-arm').value).map((t) => [t.id, `seed ${t.seed} (${t.id})`]));
    chooseTrial();
  }
  fill($('ex-arm'), data.arms.filter((a) => trialsOf(a).length).map((a) => [a, a]));
  $('ex-arm').addEventListener('change', chooseArm);
  $('ex-trial').addEventListener('change', chooseTrial);
  $('ex-module').addEventListener('change', chooseModule);
  $('ex-example').addEventListener('change', render);
  $('ex-note').textContent = `Explorer data: ${data.note}.`;
  chooseArm();
})();
)js";

}  // namespace attnlab::analysis
