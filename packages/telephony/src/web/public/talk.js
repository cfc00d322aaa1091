// The talk page: microphone → 16 kHz PCM over a WebSocket; agent audio back, scheduled gaplessly;
// `clear` from the server (barge-in) stops what is queued. State is on window.__talk for tests.
const RATE = 16000;
const agentId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const talk = {
  state: 'idle',
  callId: null,
  transcript: [],
  playedMs: 0,
  marks: [],
  played: [],
  errors: [],
};
window.__talk = talk;

let ctx;
let ws;
let stream;
let nextTime = 0;
const playing = new Set();

function setStatus(text) {
  $('status').textContent = text;
}

async function token() {
  if (params.get('token')) return params.get('token');
  const res = await fetch(`/v1/agents/${encodeURIComponent(agentId)}/talk-token`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!res.ok)
    throw new Error(
      res.status === 401
        ? 'Log in to the dashboard first, or open a link with a token.'
        : `Could not start (${res.status}).`,
    );
  return (await res.json()).token;
}

function render() {
  const list = $('transcript');
  list.replaceChildren(
    ...talk.transcript.map((t) => {
      const li = document.createElement('li');
      li.className = `${t.role}${t.final ? '' : ' partial'}`;
      const who = document.createElement('span');
      who.className = 'who';
      who.textContent = t.role === 'agent' ? 'Agent' : 'You';
      li.append(who, document.createTextNode(t.text + (t.interrupted ? ' …' : '')));
      return li;
    }),
  );
}

function onTranscript(m) {
  // Where the audio after each caller turn starts, for tests that check what was said in reply.
  if (m.role === 'caller' && m.final) talk.marks.push(talk.played.length);
  const last = talk.transcript[talk.transcript.length - 1];
  if (last && !last.final && last.role === m.role) talk.transcript.pop();
  talk.transcript.push({ role: m.role, text: m.text, final: m.final, interrupted: m.interrupted });
  render();
}

function play(buffer) {
  const pcm = new Int16Array(buffer);
  if (params.has('debug')) talk.played.push(Array.from(pcm));
  const audio = ctx.createBuffer(1, pcm.length, RATE);
  const data = audio.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 0x8000;
  const src = ctx.createBufferSource();
  src.buffer = audio;
  src.connect(ctx.destination);
  nextTime = Math.max(nextTime, ctx.currentTime + 0.02);
  src.start(nextTime);
  nextTime += audio.duration;
  talk.playedMs += (pcm.length / RATE) * 1000;
  playing.add(src);
  src.onended = () => playing.delete(src);
}

function clearPlayback() {
  for (const src of playing) src.stop();
  playing.clear();
  nextTime = 0;
}

function stop(reason) {
  talk.state = 'ended';
  $('talk').dataset.live = 'false';
  $('talk').textContent = 'Talk';
  setStatus(reason ? `Call ended (${reason}).` : 'Call ended.');
  if (stream) for (const t of stream.getTracks()) t.stop();
  if (ws && ws.readyState <= 1) ws.close();
}

async function start() {
  talk.state = 'connecting';
  $('talk').disabled = true;
  try {
    const t = await token();
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false },
    });
    ctx = new AudioContext({ sampleRate: RATE });
    await ctx.audioWorklet.addModule('/talk/assets/talk-worklet.js');
    const capture = new AudioWorkletNode(ctx, 'capture');
    ctx.createMediaStreamSource(stream).connect(capture);
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    ws = new WebSocket(`${proto}://${location.host}/talk/ws?token=${encodeURIComponent(t)}`);
    ws.binaryType = 'arraybuffer';
    capture.port.onmessage = (e) => {
      const pcm = new Int16Array(e.data);
      let sum = 0;
      for (let i = 0; i < pcm.length; i++) sum += (pcm[i] / 0x8000) ** 2;
      $('level').value = Math.min(1, Math.sqrt(sum / pcm.length) * 4);
      if (ws.readyState === 1) ws.send(e.data);
    };
    ws.onopen = () => {
      talk.state = 'live';
      $('talk').disabled = false;
      $('talk').dataset.live = 'true';
      $('talk').textContent = 'Hang up';
      setStatus('Connected. Speak when you are ready.');
    };
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') return play(e.data);
      const m = JSON.parse(e.data);
      if (m.type === 'transcript') onTranscript(m);
      else if (m.type === 'clear') clearPlayback();
      else if (m.type === 'call') talk.callId = m.callId;
      else if (m.type === 'hangup' || m.type === 'ended') stop(m.reason);
      else if (m.type === 'error') {
        talk.errors.push(m.message);
        setStatus(m.message);
      }
    };
    ws.onclose = () => {
      if (talk.state !== 'ended') stop();
      $('talk').disabled = false;
    };
  } catch (err) {
    talk.errors.push(String(err?.message ? err.message : err));
    setStatus(talk.errors[talk.errors.length - 1]);
    talk.state = 'idle';
    $('talk').disabled = false;
  }
}

$('talk').addEventListener('click', () => {
  if (talk.state === 'live') {
    if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'hangup' }));
    stop('you hung up');
  } else if (talk.state !== 'connecting') start();
});

for (const d of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = d;
  b.addEventListener('click', () => {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'dtmf', digit: d }));
  });
  $('keypad').append(b);
}
