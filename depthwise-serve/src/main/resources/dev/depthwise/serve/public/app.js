// The page calls the same API as any client: one POST /v1/segment per output, all with the chosen photo.
const fileInput = document.getElementById('file');
const drop = document.getElementById('drop');
const statusLine = document.getElementById('status');

function say(text, isError) {
  statusLine.textContent = text;
  statusLine.className = isError ? 'error' : '';
}

async function segment(file, output) {
  const form = new FormData();
  form.append('file', file);
  const response = await fetch('/v1/segment?output=' + output, { method: 'POST', body: form });
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try { message = (await response.json()).error; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return { blob: await response.blob(), timing: response.headers.get('Server-Timing') || '' };
}

function show(id, blob) {
  const url = URL.createObjectURL(blob);
  document.getElementById(id).src = url;
  const link = document.getElementById(id + '-link');
  if (link) { link.href = url; }
}

function totalMs(timing) {
  const match = /total;dur=([0-9.]+)/.exec(timing);
  return match ? match[1] + ' ms' : '?';
}

async function handle(file) {
  if (!file) { return; }
  say('Segmenting ' + file.name + '…');
  document.getElementById('results').hidden = false;
  show('original', file);
  try {
    const [mask, overlay, cutout] = await Promise.all(['mask', 'overlay', 'cutout'].map(o => segment(file, o)));
    show('mask', mask.blob);
    show('overlay', overlay.blob);
    show('cutout', cutout.blob);
    say(file.name + ': server time ' + totalMs(cutout.timing) + ' for the cut-out (' + cutout.timing + ')');
  } catch (e) {
    say(file.name + ': ' + e.message, true);
  }
}

fileInput.addEventListener('change', () => handle(fileInput.files[0]));
drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', e => {
  e.preventDefault();
  drop.classList.remove('over');
  handle(e.dataTransfer.files[0]);
});
