/**
 * The connection service's contract: the only way code outside `connections/` reads or writes
 * credentials. It seals and unseals (AES-256-GCM) so no caller handles the ciphertext.
 */
import type { Connection, Credentials } from '../define/context.ts';

/** A connection without its secrets, for lists and `connection show`. */
export interface ConnectionSummary {
  integration_id: string;
  connection_id: string;
  provider: string;
  /** Null when the credentials cannot be opened (see `credentials_error`). */
  auth_mode: Credentials['type'] | null;
  created_at: string;
  updated_at: string;
  refresh_status: 'ok' | 'failed' | null;
  refresh_error: string | null;
  /** Credentials with every secret masked (`…abcd`: at most 4 characters of one); `{}` when unreadable. */
  credentials_masked: Record<string, unknown>;
  connection_config: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  /**
   * Present when the credentials cannot be opened (sealed under a key patchbay does not have, or
   * altered): what happened and how to fix it. Functions cannot use the connection until then.
   */
  credentials_error?: string;
}

export interface NewConnection {
  integrationId: string;
  connectionId: string;
  credentials: Credentials;
  connectionConfig?: Record<string, unknown>;
  metadata?: Record<string, unknown> | null;
  /**
   * The config comes from a full-access caller (a full-access API key, the local CLI operator):
   * values outside the provider's declared suffixes, pattern or enum are kept. Default false:
   * every rule applies. Syntax rules (no path, user info, IP address…) apply to everyone.
   */
  fullAccess?: boolean;
}

/** A decrypted connection plus the version its credentials were read at (for compare-and-set). */
export interface LoadedConnection extends Connection {
  integration_id: string;
  credentials_version: number;
  refresh_status: 'ok' | 'failed' | null;
  refresh_error: string | null;
}

export interface ConnectionService {
  /** Throws PatchbayError CONNECTION_NOT_FOUND (message says how to add one). */
  get(integrationId: string, connectionId: string): Promise<LoadedConnection>;
  find(integrationId: string, connectionId: string): Promise<LoadedConnection | undefined>;
  list(filter?: { integrationId?: string }): Promise<ConnectionSummary[]>;
  /**
   * Validates the credential shape against the integration's auth mode and the connection config
   * against the provider's declared shape (INVALID_ARGUMENT); CONNECTION_EXISTS when taken.
   */
  add(connection: NewConnection): Promise<ConnectionSummary>;
  /**
   * Persists new credentials (after a refresh). With `expectVersion`, only when nobody else wrote
   * since (returns false then). Clears a previous refresh failure.
   */
  saveCredentials(integrationId: string, connectionId: string, credentials: Credentials, options?: { expectVersion?: number }): Promise<boolean>;
  /** Records a failed refresh: the connection needs re-authorisation. */
  markRefreshFailed(integrationId: string, connectionId: string, error: string): Promise<void>;
  setMetadata(integrationId: string, connectionId: string, metadata: Record<string, unknown>): Promise<void>;
  updateMetadata(integrationId: string, connectionId: string, patch: Record<string, unknown>): Promise<void>;
  /**
   * Replaces the connection config, checked against the provider's declared shape as `add`
   * checks it (a full-access caller may go outside declared suffixes and patterns). It fills the
   * provider's URLs from the next request on.
   */
  setConnectionConfig(integrationId: string, connectionId: string, connectionConfig: Record<string, unknown>, options?: { fullAccess?: boolean }): Promise<void>;
  remove(integrationId: string, connectionId: string): Promise<boolean>;
}
