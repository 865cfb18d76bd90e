/** `tidepool/web`: the web UI server (travel agents, tool cards, the OpenAI-compatible API). */
export { startWebServer, type WebServerOptions, type RunningWebServer } from './server.js';
export { resolveWebListenSettings, DEFAULT_WEB_HOST, DEFAULT_WEB_PORT, type WebListenSettings } from '../config/web-settings.js';
