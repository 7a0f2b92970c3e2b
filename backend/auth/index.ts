// Devices and pairing: one-time codes, bearer tokens, the device a request comes from.
export { PAIRING_CODE_TTL_MS, PairingThrottle, createPairingCode, pairDevice, redeemPairingCode, sha256Hex } from './pairing';
export { DeviceActivity, deviceForToken } from './devices';
export { listDevices, revokeDevice, type Device, type DeviceInfo } from './repository';
