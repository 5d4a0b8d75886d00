// The predict page: an image in (dropped or chosen), the model's top five classes and a heat map
// of its evidence out, asked again whenever the model or the method changes.
import { request, byTestId, showError, percent } from './api.js';

const modelSelect = byTestId('model'), methodSelect = byTestId('method'), ttaSelect = byTestId('tta'), error = byTestId('error');
let models = [], image = null, latest = 0;

async function loadModels() {
  try {
    models = await request('/api/models');
    modelSelect.replaceChildren(...models.map(m => new Option(`${m.name} (${m.architecture})`, m.name)));
    // The runs page links here with ?model= for a run it just trained.
    const wanted = new URLSearchParams(location.search).get('model');
    if (models.some(m => m.name === wanted)) modelSelect.value = wanted;
    if (!models.length) throw new Error('No models are served: start visionlab serve with --models pointing at a trained run.');
    describeModel();
  } catch (e) {
    showError(error, e);
  }
}

function describeModel() {
  const m = models.find(m => m.name === modelSelect.value);
  byTestId('model-info').textContent = m ? `${m.architecture}, ${m.parameters.toLocaleString()} parameters, `
    + `${m.input.width}×${m.input.height} input, test accuracy ${percent(m.test_accuracy)} after epoch ${m.epoch} on ${m.data}` : '';
}

function post(path) {
  const form = new FormData();
  form.append('file', image);
  return request(path, { method: 'POST', body: form });
}

async function analyse() {
  if (!image) return;
  // Answers to an earlier choice of model or method may arrive after later ones: only the last counts.
  const ticket = ++latest;
  const model = encodeURIComponent(modelSelect.value), method = methodSelect.value;
  const results = byTestId('results');
  results.setAttribute('aria-busy', 'true');
  try {
    const [predicted, explained] = await Promise.all([
      post(`/api/models/${model}/predict?top=5&tta=${ttaSelect.value}`),
      post(`/api/models/${model}/explain?method=${encodeURIComponent(method)}`),
    ]);
    if (ticket !== latest) return;
    showError(error, null);
    showPredictions(predicted.predictions);
    byTestId('predictions').dataset.tta = predicted.test_time_augmentation ?? 'none';
    const overlay = byTestId('overlay');
    overlay.src = `data:image/png;base64,${explained.overlay_png}`;
    overlay.dataset.method = method;
    byTestId('overlay-title').textContent = explained.layer ? `${explained.title} at ${explained.layer}` : explained.title;
    byTestId('timing').textContent = `Prediction${predicted.test_time_augmentation ? ' averaged with the mirror' : ''} `
      + `${predicted.latency_ms.toFixed(1)} ms (batch of ${predicted.batch_size}), `
      + `heat map ${explained.latency_ms.toFixed(1)} ms`;
    results.hidden = false;
  } catch (e) {
    if (ticket !== latest) return;
    showError(error, e);
    // The bars and heat map belong to the image before: left up, they would pass for this one's.
    results.hidden = true;
  } finally {
    if (ticket === latest) results.removeAttribute('aria-busy');
  }
}

function showPredictions(predictions) {
  byTestId('predictions').replaceChildren(...predictions.map(p => {
    const item = document.createElement('li');
    item.dataset.testid = 'prediction';
    item.innerHTML = '<span class="name"></span><span class="meter" aria-hidden="true"><span></span></span><span class="percent"></span>';
    item.querySelector('.name').textContent = p.class;
    item.querySelector('.meter span').style.width = `${100 * p.probability}%`;
    item.querySelector('.percent').textContent = percent(p.probability);
    return item;
  }));
}

function choose(file) {
  if (!file) return;
  image = file;
  const shown = byTestId('input-image');
  if (shown.src.startsWith('blob:')) URL.revokeObjectURL(shown.src);
  shown.src = URL.createObjectURL(file);
  analyse();
}

const dropzone = byTestId('dropzone'), input = byTestId('file-input');
input.addEventListener('change', () => choose(input.files[0]));
for (const type of ['dragenter', 'dragover'])
  dropzone.addEventListener(type, e => { e.preventDefault(); dropzone.classList.add('dragging'); });
dropzone.addEventListener('dragleave', () => dropzone.classList.remove('dragging'));
dropzone.addEventListener('drop', e => {
  e.preventDefault();
  dropzone.classList.remove('dragging');
  choose(e.dataTransfer.files[0]);
});
// A file dropped beside the zone would otherwise replace the page.
for (const type of ['dragover', 'drop']) window.addEventListener(type, e => e.preventDefault());
modelSelect.addEventListener('change', () => { describeModel(); analyse(); });
methodSelect.addEventListener('change', analyse);
ttaSelect.addEventListener('change', analyse);
loadModels();
