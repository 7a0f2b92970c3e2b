// The way from the background to the backend: the stored pairing plus a tRPC client for it. The client
// factory is injected (core/backendClient.ts in the extension; the same one against a test server).
import { createBackendClient, type BackendClient } from '../core/backendClient';
import type { BackgroundStorage, Pairing } from './storage';

export type CreateClient = (backendUrl: string, token: string | null) => BackendClient;

export interface Connection {
  client: BackendClient;
  pairing: Pairing;
}

export class BackendConnection {
  constructor(
    private readonly storage: Pick<BackgroundStorage, 'pairing'>,
    readonly createClient: CreateClient = createBackendClient,
  ) {}

  /** The client of the paired backend, or null while this device is not paired. */
  async current(): Promise<Connection | null> {
    const pairing = await this.storage.pairing.getValue();
    if (!pairing) return null;
    return { client: this.createClient(pairing.backendUrl, pairing.token), pairing };
  }

  /** Like current(), with a sentence saying what to do when not paired. */
  async required(notPaired: string): Promise<Connection> {
    const conn = await this.current();
    if (!conn) throw new Error(notPaired);
    return conn;
  }
}
