/**
 * Re-encrypting every connection under a new key without downtime, safe to kill at any point.
 *
 * 1. `pending-written`: the new key is written to `encryption.key.next` (0600, fsync'd). From
 *    then on every process seals new writes with it and still reads the old key.
 * 2. `resealed`: each row still sealed with another key is unsealed and re-sealed,
 *    compare-and-set on `credentials_version` so a concurrent token refresh is never overwritten
 *    (the row is re-read and retried). The credentials version is not bumped: nothing changed for
 *    readers. A row no held key opens is skipped and reported.
 * 3. `retired`: the keys being replaced are stored in the database sealed under the new key
 *    (retired-keys.ts); keys an earlier rotation retired are dropped once no row uses them.
 * 4. `checkpointed`: the WAL is checkpointed (TRUNCATE), so the database file alone holds the
 *    re-sealed rows and the retired keys, durably, before the key file changes.
 * 5. `promoted`: `.next` is renamed over `encryption.key` (atomic, folder fsync'd).
 *
 * Killed before 5, the key file and `.next` together open every row, and running the command
 * again resumes with the same pending key. Killed after, the new key opens every row, and the
 * retired key (step 3) opens a row a slow writer sealed under the old key after step 2.
 *
 * With PATCHBAY_ENCRYPTION_KEY (no key file), rows are re-sealed with `--new-key` and the old key
 * retired under it; the caller then sets PATCHBAY_ENCRYPTION_KEY to the new key.
 */
import { existsSync } from 'node:fs';
import { PatchbayError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { encryptionKey, generateKey, parseKey, seal, sealedKeyId, staticKeyRing, unseal, type EncryptionKey, type KeyRing } from './crypto.ts';
import { loadKeyRing, pendingKeyFile, promoteKeyFile, readKeyFile, writeKeyFileExclusive } from './key-file.ts';
import { openRetiredKeys, readRetiredKeys, retiredEntry, writeRetiredKeys, type RetiredKeyEntry } from './retired-keys.ts';

/** The points a rotation passes, in order (see the module comment). */
export type RotationStep = 'pending-written' | 'resealed' | 'retired' | 'checkpointed' | 'promoted';

export interface RotateOptions {
  store: Store;
  keyFile: string;
  env?: NodeJS.ProcessEnv;
  /** The new key (hex or base64); generated when omitted (key-file mode only). */
  newKey?: string;
  /** Called after each re-sealed row; tests use it to simulate a crash half-way. */
  onResealed?: (integrationId: string, connectionId: string) => void | Promise<void>;
  /** Called after each step; tests kill the process there. */
  onStep?: (step: RotationStep) => void | Promise<void>;
}

/** A connection the rotation could not re-seal, because no held key opens it. */
export interface UnreadableConnection {
  integration_id: string;
  connection_id: string;
  /** The key id in its sealed credentials (undefined when they are not in the sealed format). */
  key_id: string | undefined;
}

export interface RotateResult {
  /** Id of the key now sealing every row. */
  keyId: string;
  resealed: number;
  /** 'file': the key file now holds the new key. 'env': the caller must update PATCHBAY_ENCRYPTION_KEY. */
  mode: 'file' | 'env';
  /** Ids of the keys kept in the database, sealed under the new one, until no row uses them. */
  retired: string[];
  /** Rows left as they were: sealed under a key patchbay does not have. */
  unreadable: UnreadableConnection[];
  /** False when another process kept an old snapshot open and the WAL could not be emptied. */
  checkpointed: boolean;
}

const isKeyError = (error: unknown): boolean => error instanceof PatchbayError && error.code === 'ENCRYPTION_KEY_ERROR';

/** Re-seals every readable row still under another key than `target`. */
async function resealAll(store: Store, ring: KeyRing, target: EncryptionKey, onResealed?: RotateOptions['onResealed']): Promise<{ resealed: number; unreadable: UnreadableConnection[] }> {
  const writer = staticKeyRing(target.key);
  const unreadable = new Map<string, UnreadableConnection>();
  const stale = async () =>
    (await store.connections.list()).filter((row) => sealedKeyId(row.credentials) !== target.id && !unreadable.has(`${row.integration_id}\0${row.connection_id}`));
  let resealed = 0;
  for (let pass = 0; pass < 5; pass++) {
    const rows = await stale();
    if (rows.length === 0) return { resealed, unreadable: [...unreadable.values()] };
    for (const listed of rows) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const row = await store.connections.get(listed.integration_id, listed.connection_id);
        if (!row || sealedKeyId(row.credentials) === target.id) break;
        let plain: string;
        try {
          plain = unseal(row.credentials, ring);
        } catch (error) {
          if (!isKeyError(error)) throw error;
          unreadable.set(`${row.integration_id}\0${row.connection_id}`, { integration_id: row.integration_id, connection_id: row.connection_id, key_id: sealedKeyId(row.credentials) });
          break;
        }
        if (await store.connections.update(row.integration_id, row.connection_id, { credentials: seal(plain, writer) }, { expectVersion: row.credentials_version })) {
          resealed++;
          await onResealed?.(row.integration_id, row.connection_id);
          break;
        }
      }
    }
  }
  const left = (await stale()).length;
  if (left > 0) throw new PatchbayError('STORE_ERROR', `${left} connection(s) kept changing during the key rotation. Run patchbay key rotate-encryption again to finish it.`);
  return { resealed, unreadable: [...unreadable.values()] };
}

/**
 * The middle of every rotation, file or env mode alike: re-seal every row under `target`, retire
 * the replaced keys (sealed under `target`), then checkpoint the WAL so the database file alone
 * holds both; each step reported for the crash tests.
 */
async function resealRetireCheckpoint(
  store: Store,
  ring: KeyRing,
  target: EncryptionKey,
  replaced: EncryptionKey[],
  onResealed: RotateOptions['onResealed'],
  step: (name: RotationStep) => Promise<void>,
): Promise<{ resealed: number; unreadable: UnreadableConnection[]; retired: string[]; checkpointed: boolean }> {
  const { resealed, unreadable } = await resealAll(store, ring, target, onResealed);
  await step('resealed');
  const retired = await retireKeys(store, ring, target, replaced);
  await step('retired');
  const { complete } = await store.checkpoint();
  await step('checkpointed');
  return { resealed, unreadable, retired, checkpointed: complete };
}

/**
 * Stores every key being replaced sealed under `target`, keeps what earlier rotations retired
 * while a row still uses it, and re-seals what is kept under `target`. Returns the kept ids.
 */
async function retireKeys(store: Store, ring: KeyRing, target: EncryptionKey, replaced: EncryptionKey[]): Promise<string[]> {
  const stored = await readRetiredKeys(store);
  const held = new Map<string, EncryptionKey>();
  for (const key of openRetiredKeys(stored, (id) => (id === target.id ? target : ring.find(id)))) held.set(key.id, key);
  for (const key of replaced) held.set(key.id, key);
  const inUse = new Set((await store.connections.list()).map((row) => sealedKeyId(row.credentials)));
  const earlier = new Map(stored.map((entry) => [entry.id, entry]));
  const now = new Date().toISOString();
  const kept: RetiredKeyEntry[] = [];
  for (const key of held.values()) {
    if (key.id === target.id) continue;
    const entry = earlier.get(key.id);
    // Retired by this rotation (or an interrupted run of it): kept, a late writer may still use it.
    if (entry?.retired_by === target.id || replaced.some((candidate) => candidate.id === key.id)) {
      kept.push(retiredEntry(key, target, target.id, entry?.retired_by === target.id ? entry.retired_at : now));
    } else if (entry && inUse.has(key.id)) {
      kept.push(retiredEntry(key, target, entry.retired_by, entry.retired_at));
    }
    // Otherwise retired by an earlier rotation and no row uses it any more: dropped.
  }
  await writeRetiredKeys(store, kept);
  return kept.map((entry) => entry.id);
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
  const step = async (name: RotationStep): Promise<void> => {
    await options.onStep?.(name);
  };
  const envKey = env['PATCHBAY_ENCRYPTION_KEY'];
  if (envKey !== undefined && envKey !== '') {
    if (!options.newKey) {
      throw new PatchbayError(
        'INVALID_ARGUMENT',
        'The encryption key comes from PATCHBAY_ENCRYPTION_KEY, so patchbay cannot store a new one for you. Pass the new key: patchbay key rotate-encryption --new-key "$(openssl rand -base64 32)"',
      );
    }
    const target = encryptionKey(parseKey(options.newKey, '--new-key'));
    const loaded = await loadKeyRing({ keyFile, env, store });
    const ring: KeyRing = { ...loaded, find: (id) => (id === target.id ? target : loaded.find(id)) };
    const configured = [envKey, ...(env['PATCHBAY_ENCRYPTION_KEY_PREVIOUS'] ?? '').split(',')].filter((part) => part.trim() !== '');
    const replaced = configured.map((part) => encryptionKey(parseKey(part, 'PATCHBAY_ENCRYPTION_KEY'))).filter((key) => key.id !== target.id);
    const done = await resealRetireCheckpoint(store, ring, target, replaced, options.onResealed, step);
    return { keyId: target.id, mode: 'env', ...done };
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
  await step('pending-written');
  const replaced = [encryptionKey(readKeyFile(keyFile))].filter((key) => key.id !== target.id);
  const done = await resealRetireCheckpoint(store, ring, target, replaced, options.onResealed, step);
  promoteKeyFile(pendingFile, keyFile);
  await step('promoted');
  return { keyId: target.id, mode: 'file', ...done };
}
