/** The backend's version, as health reports it and the Discogs API's User-Agent carries it. */
export const VERSION = '0.1.0';
