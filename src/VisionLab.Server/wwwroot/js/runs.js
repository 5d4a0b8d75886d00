// The runs page: start a training job and watch its curves grow (server-sent events), and
// overlay the curves of finished runs from the run store to compare them.
import { request, byTestId, showError, percent } from './api.js';
import { drawChart, digits, palette } from './chart.js';

const form = byTestId('train-form'), cancel = byTestId('train-cancel'), jobStatus = byTestId('job-status');
const finished = ['completed', 'failed', 'cancelled'];
// The key stays with this tab: sessionStorage is gone when it closes, and never sent anywhere but X-Api-Key.
const keyStorage = 'visionlab.api-key';
let job = null, events = null;

form.key.value = sessionStorage.getItem(keyStorage) ?? '';
form.key.addEventListener('input', () => sessionStorage.setItem(keyStorage, form.key.value));

// --- Training ---------------------------------------------------------------------------------

function config() {
  const number = name => form[name].value === '' ? undefined : Number(form[name].value);
  const settings = { model: form.model.value.trim(), epochs: number('epochs'), batch_size: number('batch_size'),
    train_limit: number('train_limit'), test_limit: number('test_limit') };
  if (form.lr.value !== '') settings.optimizer = { lr: number('lr') };
  return settings;
}

form.addEventListener('submit', async e => {
  e.preventDefault();
  showError(byTestId('train-error'), null);
  try {
    const settings = config();
    follow(await request('/api/train', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Api-Key': form.key.value },
      body: JSON.stringify({ config: settings }),
    }), settings);
  } catch (error) {
    showError(byTestId('train-error'), error);
  }
});

cancel.addEventListener('click', async () => {
  try {
    await request(`/api/jobs/${job.id}`, { method: 'DELETE', headers: { 'X-Api-Key': form.key.value } });
  } catch (error) {
    showError(byTestId('train-error'), error);
  }
});

// Running figures come by batch from the start, epochs by number: the chart is by epoch, so a
// batch is placed at its share of the epoch. The form only trains Fashion-MNIST (60,000 training images).
const batchesPerEpoch = config => Math.ceil(Math.min(config.train_limit ?? 60000, 60000) / (config.batch_size ?? 64));

// A completed job's run is served at once: link to the predict page with it chosen.
function showTry(model) {
  const link = byTestId('job-try');
  link.href = `index.html?model=${encodeURIComponent(model)}`;
  link.hidden = false;
}

function follow(started, settings) {
  job = started;
  byTestId('job-try').hidden = true;
  events?.close();
  setStatus(job.status);
  const batches = batchesPerEpoch(settings);
  let live = noCurves();
  events = new EventSource(`/api/jobs/${job.id}/events`);
  // Each connection replays the job from its first event, so a reconnection starts the curves afresh.
  events.addEventListener('open', () => { live = noCurves(); drawLive(live); });
  events.addEventListener('progress', e => {
    const p = JSON.parse(e.data);
    live.running.push([p.step / batches, Number(p.running_train_loss)]);
    if (p.running_train_accuracy != null) live.runningAccuracy.push([p.step / batches, Number(p.running_train_accuracy)]);
    setStatus('running');
    drawLive(live);
  });
  events.addEventListener('epoch', e => {
    const epoch = JSON.parse(e.data);
    live.train.push([epoch.epoch, Number(epoch.train_loss)]);
    live.test.push([epoch.epoch, Number(epoch.test_loss)]);
    live.trainAccuracy.push([epoch.epoch, Number(epoch.train_accuracy)]);
    live.testAccuracy.push([epoch.epoch, Number(epoch.test_accuracy)]);
    setStatus('running');
    drawLive(live);
  });
  events.addEventListener('status', async e => {
    const { status, error, served_as: servedAs } = JSON.parse(e.data);
    setStatus(status);
    if (error) showError(byTestId('train-error'), new Error(error));
    if (servedAs) showTry(servedAs);
    if (!finished.includes(status)) return;
    // The server ends the stream here; left open, EventSource would reconnect and replay it all.
    events.close();
    const done = await request(`/api/jobs/${job.id}`).catch(() => job);
    await loadRuns(done.run_id);
  });
}

const loss = (v, step) => v.toFixed(digits(step));
const accuracy = (v, step) => percent(v, digits(100 * step));

const noCurves = () => ({ running: [], runningAccuracy: [], train: [], test: [], trainAccuracy: [], testAccuracy: [] });

function setStatus(status) {
  jobStatus.textContent = status;
  cancel.disabled = finished.includes(status);
}

function drawLive(live) {
  const line = (label, color, points, dashed) => ({ label, color, points, dashed });
  drawChart(byTestId('live-loss'), [
    line('running train loss', palette[0], live.running, true),
    line('train loss', palette[0], live.train),
    line('test loss', palette[1], live.test),
  ], { xLabel: 'epoch', yLabel: 'loss', format: loss });
  drawChart(byTestId('live-accuracy'), [
    line('running train accuracy', palette[0], live.runningAccuracy, true),
    line('train accuracy', palette[0], live.trainAccuracy),
    line('test accuracy', palette[1], live.testAccuracy),
  ], { xLabel: 'epoch', yLabel: 'accuracy', format: accuracy });
}

// --- Runs and their comparison -----------------------------------------------------------------

const details = new Map();

async function loadRuns(check) {
  try {
    const runs = await request('/api/runs');
    const checked = new Set([...document.querySelectorAll('[data-testid="runs-table"] input:checked')].map(c => c.value));
    if (check) checked.add(check);
    byTestId('runs-table').tBodies[0].replaceChildren(...runs.map(run => row(run, checked.has(run.id))));
    await compare();
  } catch (error) {
    showError(byTestId('runs-error'), error);
  }
}

function row(run, checked) {
  const tr = document.createElement('tr');
  const box = Object.assign(document.createElement('input'), { type: 'checkbox', value: run.id, checked });
  box.setAttribute('aria-label', `Compare ${run.name}`);
  box.addEventListener('change', compare);
  const cells = [run.name, run.model, run.status, run.epochs, percent(run.test_accuracy), percent(run.best_test_accuracy),
    new Date(run.started).toLocaleString()];
  tr.append(cell(box), ...cells.map((value, i) => cell(String(value), i >= 3 && i <= 5)));
  return tr;
}

function cell(content, number = false) {
  const td = document.createElement('td');
  td.append(content);
  if (number) td.className = 'number';
  return td;
}

async function compare() {
  const ids = [...document.querySelectorAll('[data-testid="runs-table"] input:checked')].map(c => c.value);
  try {
    // A finished run's figures do not change; one still training is fetched afresh each time.
    const shown = await Promise.all(ids.map(async id => {
      const cached = details.get(id);
      if (cached && cached.run.status !== 'running') return cached;
      const detail = await request(`/api/runs/${encodeURIComponent(id)}`);
      details.set(id, detail);
      return detail;
    }));
    showError(byTestId('runs-error'), null);
    const curves = metric => shown.flatMap((d, i) => [
      { label: `${d.run.name} test`, color: palette[i % palette.length], points: byStep(d.metrics[`test_${metric}`]) },
      { label: `${d.run.name} train`, color: palette[i % palette.length], points: byStep(d.metrics[`train_${metric}`]), dashed: true },
    ]);
    drawChart(byTestId('compare-loss'), curves('loss'), { xLabel: 'epoch', yLabel: 'loss', format: loss });
    drawChart(byTestId('compare-accuracy'), curves('accuracy'), { xLabel: 'epoch', yLabel: 'accuracy', format: accuracy });
  } catch (error) {
    showError(byTestId('runs-error'), error);
  }
}

const byStep = points => (points ?? []).map(p => [p.step, p.value ?? NaN]);

// A job already under way (started from another tab, or before a reload) is followed at once.
async function resume() {
  const jobs = await request('/api/jobs').catch(() => []);
  const active = jobs.find(j => !finished.includes(j.status));
  if (!active) return;
  const run = active.run_id ? await request(`/api/runs/${active.run_id}`).catch(() => null) : null;
  follow(active, run?.config ?? {});
}

drawLive(noCurves());
loadRuns();
resume();
