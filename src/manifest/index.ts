/**
 * src/manifest: DASH MPD and HLS playlists written from a small
 * presentation model (model.ts).
 */
export * from './model.js';
export { writeMpd, isoDuration, segmentTimeline, MPD_NAMESPACE, DASH_PROFILES, AUDIO_CHANNEL_SCHEME } from './dash.js';
export { writeMediaPlaylist, writeMultivariantPlaylist, mediaPlaylistName, targetDuration, extinf, HLS_VERSION, AUDIO_GROUP } from './hls.js';
