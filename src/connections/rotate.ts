/**
 * Re-encrypting every connection under a new key without downtime.
 *
 * 1. The new key is written to `encryption.key.next` (0600). From then on every process seals new
 *    writes with it and still reads the old key: both keys are valid.
 * 2. Each row still sealed with another key is unsealed and re-sealed, compare-and-set on
 *    `credentials_version` so a concurrent token refresh is never overwritten (the row is re-read
 *    and retried instead). The credentials version is not bumped: nothing changed for readers.
 * 3. Only when no row is left under an old key is `.next` renamed over `encryption.key`.
 *
 * A crash at any point loses nothing: `.next` and the key file together open every row, and
 * running the command again resumes with the same pending key.
 *
 * With PATCHBAY_ENCRYPTION_KEY (no key file), rows are re-sealed with `--new-key`; the caller then
 * sets PATCHBAY_ENCRYPTION_KEY to the new key (and the old one in PATCHBAY_ENCRYPTION_KEY_PREVIOUS
 * until every process restarted).
 */
import { existsSync, renameSync } from 'node:fs';
import { PatchbayError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { encryptionKey, generateKey, parseKey, seal, sealedKeyId, staticKeyRing, unseal, type EncryptionKey, type KeyRing } from './crypto.ts';
import { loadKeyRing, pendingKeyFile, writeKeyFileExclusive } from './key-file.ts';

export interface RotateOptions {
  store: Store;
  keyFile: string;
  env?: NodeJS.ProcessEnv;
  /** The new key (hex or base64); generated when omitted (key-file mode only). */
  newKey?: string;
  /** Called after each re-sealed row; tests use it to simulate a crash half-way. */
  onResealed?: (integrationId: string, connectionId: string) => void;
}

export interface RotateResult {
  /** Id of the key now sealing every row. */
  keyId: string;
  resealed: number;
  /** 'file': the key file now holds the new key. 'env': the caller must update PATCHBAY_ENCRYPTION_KEY. */
  mode: 'file' | 'env';
}

/** Re-seals every row still under another key than `target`; returns how many it re-sealed. */
async function resealAll(store: Store, ring: KeyRing, target: EncryptionKey, onResealed?: RotateOptions['onResealed']): Promise<number> {
  const writer = staticKeyRing(target.key);
  let resealed = 0;
  for (let pass = 0; pass < 5; pass++) {
    const stale = (await store.connections.list()).filter((row) => sealedKeyId(row.credentials) !== target.id);
    if (stale.length === 0) return resealed;
    for (const listed of stale) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = await store.connections.get(listed.integration_id, listed.connection_id);
        if (!row || sealedKeyId(row.credentials) === target.id) break;
        const credentials = seal(unseal(row.credentials, ring), writer);
        if (await store.connections.update(row.integration_id, row.connection_id, { credentials }, { expectVersion: row.credentials_version })) {
          resealed++;
          onResealed?.(row.integration_id, row.connection_id);
          break;
        }
      }
    }
  }
  const left = (await store.connections.list()).filter((row) => sealedKeyId(row.credentials) !== target.id).length;
  if (left > 0) throw new PatchbayError('STORE_ERROR', `${left} connection(s) kept changing during the key rotation. Run patchbay key rotate-encryption again to finish it.`);
  return resealed;
}

/**
 * Rotates the encryption key (see the module comment).
 *
 * @example
 * const { keyId, resealed } = await rotateEncryptionKey({ store, keyFile: paths.keyFile });
 */
export async function rotateEncryptionKey(options: RotateOptions): Promise<RotateResult> {
  const env = options.env ?? process.env;
  const { store, keyFile } = options;
  const envKey = env['PATCHBAY_ENCRYPTION_KEY'];
  if (envKey !== undefined && envKey !== '') {
    if (!options.newKey) {
      throw new PatchbayError(
        'INVALID_ARGUMENT',
        'The encryption key comes from PATCHBAY_ENCRYPTION_KEY, so patchbay cannot store a new one for you. Pass the new key: patchbay key rotate-encryption --new-key "$(openssl rand -base64 32)"',
      );
    }
    const target = encryptionKey(parseKey(options.newKey, '--new-key'));
    const ring = await loadKeyRing({ keyFile, env, store });
    const resealed = await resealAll(store, { ...ring, find: (id) => (id === target.id ? target : ring.find(id)) }, target, options.onResealed);
    return { keyId: target.id, resealed, mode: 'env' };
  }

  const ring = await loadKeyRing({ keyFile, env, store });
  const pendingFile = pendingKeyFile(keyFile);
  if (existsSync(pendingFile)) {
    const pending = ring.sealingKey();
    if (options.newKey && encryptionKey(parseKey(options.newKey, '--new-key')).id !== pending.id) {
      throw new PatchbayError(
        'INVALID_ARGUMENT',
        `A rotation to key ${pending.id} is unfinished (${pendingFile}). Finish it first: patchbay key rotate-encryption (without --new-key), then rotate again.`,
      );
    }
  } else {
    const fresh = options.newKey ? parseKey(options.newKey, '--new-key') : generateKey();
    if (encryptionKey(fresh).id === ring.sealingKey().id) {
      throw new PatchbayError('INVALID_ARGUMENT', 'The new key is the key already in use. Pass a different --new-key, or omit it to generate one.');
    }
    writeKeyFileExclusive(pendingFile, fresh);
  }
  ring.refresh();
  const target = ring.sealingKey();
  const resealed = await resealAll(store, ring, target, options.onResealed);
  renameSync(pendingFile, keyFile);
  return { keyId: target.id, resealed, mode: 'file' };
}
