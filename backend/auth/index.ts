// Devices and pairing: one-time codes, bearer tokens, the device a request comes from.
export * from './pairing';
