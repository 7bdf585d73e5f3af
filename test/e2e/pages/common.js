// Shared by shaka.html and hls.html: query parameters and the state the
// harness polls (window.__ks). Open a page by hand with e.g.
//   /_pages/shaka.html?src=/out/stream.mpd&keys=<kid hex>:<key hex>
//   /_pages/hls.html?src=/out/master.m3u8&license=/license
// Parameters: src (manifest URL), keys (kid:key,… hex, ClearKey inline),
// license (ClearKey license URL), licenseHeader=Name:Value (repeatable),
// keyHeader=Name:Value (repeatable; hls.js: on every request, so on AES-128 key requests).
'use strict';
const params = new URLSearchParams(location.search);
function headerList(name) {
  const out = {};
  for (const h of params.getAll(name)) {
    const at = h.indexOf(':');
    if (at > 0) out[h.slice(0, at)] = h.slice(at + 1);
  }
  return out;
}
window.ksConfig = {
  src: params.get('src'),
  keys: Object.fromEntries((params.get('keys') || '').split(',').filter(Boolean).map((p) => p.split(':'))),
  license: params.get('license'),
  licenseHeaders: headerList('licenseHeader'),
  keyHeaders: headerList('keyHeader'),
};
window.__ks = { currentTime: 0, errors: [], events: [], decodedFrames: 0 };
function ksError(text) {
  window.__ks.errors.push(String(text));
  const el = document.getElementById('status');
  if (el) el.textContent = 'error: ' + window.__ks.errors.join('; ');
}
function ksWatch(video) {
  for (const ev of ['loadedmetadata', 'canplay', 'playing', 'waiting', 'encrypted', 'waitingforkey', 'ended', 'stalled']) {
    video.addEventListener(ev, () => window.__ks.events.push(ev));
  }
  video.addEventListener('error', () => {
    const e = video.error;
    ksError('media element error ' + (e ? e.code + ' ' + e.message : ''));
  });
  const tick = () => {
    window.__ks.currentTime = video.currentTime;
    const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
    window.__ks.decodedFrames = q ? q.totalVideoFrames : 0;
    const el = document.getElementById('status');
    if (el && window.__ks.errors.length === 0) el.textContent = 'time ' + video.currentTime.toFixed(2) + ' s, frames ' + window.__ks.decodedFrames;
  };
  video.addEventListener('timeupdate', tick);
  setInterval(tick, 100);
}
// Pause, seek to `at` and size the video element to the picture's aspect
// ratio (no letterbox), so an element screenshot is exactly the decoded
// picture. (Canvas readback of EME video is black in Chromium; the
// screenshot is not.)
// Resolves false if the seek does not complete (e.g. waiting for a key).
window.ksShowFrame = async function (at) {
  const video = document.querySelector('video');
  video.pause();
  const seeked = await new Promise((resolve) => {
    video.addEventListener('seeked', () => resolve(true), { once: true });
    setTimeout(() => resolve(false), 3000);
    video.currentTime = at;
  });
  if (!seeked) return false;
  if (video.requestVideoFrameCallback) {
    await Promise.race([new Promise((r) => video.requestVideoFrameCallback(r)), new Promise((r) => setTimeout(r, 500))]);
  }
  const width = 640;
  video.style.width = width + 'px';
  video.style.height = Math.round((width * video.videoHeight) / video.videoWidth) + 'px';
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return true;
};
