/**
 * Keys a rotation retired, kept in the database sealed under the key that replaced them, until a
 * later rotation finds no row under them. A process that picked its sealing key just before a
 * rotation finished (it waited on the database lock, say) may still write a row under the old
 * key after the key file was replaced; any process holding the current key opens the retired one
 * from here and reads that row. Kept in the database rather than beside the key file, so that a
 * backup of `patchbay.db` and `encryption.key` is all it takes to read every row.
 *
 * Stored under one key-value entry, `encryption:retired-keys`:
 *
 *   [{ id, sealed: seal(hex of the key, current key), retired_by: <id of the key that replaced it>, retired_at }]
 */
import type { Store } from '../store/types.ts';
import { encryptionKey, seal, sealedKeyId, staticKeyRing, unseal, type EncryptionKey } from './crypto.ts';

const KV_KEY = 'encryption:retired-keys';

/** One retired key as stored: only a holder of the key it is sealed under can use it. */
export interface RetiredKeyEntry {
  /** Id of the retired key. */
  id: string;
  /** The key (hex), sealed under another key (normally the one that replaced it). */
  sealed: string;
  /** Id of the key the rotation that retired it moved rows to. */
  retired_by: string;
  retired_at: string;
}

/** The stored entries (none when no rotation happened). */
export async function readRetiredKeys(store: Store): Promise<RetiredKeyEntry[]> {
  const value = await store.kv.get<RetiredKeyEntry[]>(KV_KEY);
  return Array.isArray(value) ? value : [];
}

/** Replaces the stored entries. */
export async function writeRetiredKeys(store: Store, entries: RetiredKeyEntry[]): Promise<void> {
  await store.kv.set(KV_KEY, entries);
}

/**
 * The retired keys that `find` can open, directly or through another retired key (an entry
 * sealed under a key that was itself retired later). Entries no held key opens are skipped: they
 * matter only to rows that are unreadable anyway.
 *
 * @example
 * for (const key of openRetiredKeys(await readRetiredKeys(store), (id) => known.get(id))) known.set(key.id, key);
 */
export function openRetiredKeys(entries: RetiredKeyEntry[], find: (id: string) => EncryptionKey | undefined): EncryptionKey[] {
  const opened = new Map<string, EncryptionKey>();
  const lookup = (id: string): EncryptionKey | undefined => opened.get(id) ?? find(id);
  let progress = true;
  while (progress) {
    progress = false;
    for (const entry of entries) {
      if (opened.has(entry.id)) continue;
      const sealer = sealedKeyId(entry.sealed);
      const key = sealer === undefined ? undefined : lookup(sealer);
      if (!key) continue;
      try {
        const candidate = encryptionKey(Buffer.from(unseal(entry.sealed, staticKeyRing(key.key)), 'hex'));
        if (candidate.id !== entry.id) continue;
        opened.set(candidate.id, candidate);
        progress = true;
      } catch {
        // Altered entry: treat as unopenable.
      }
    }
  }
  return [...opened.values()];
}

/** An entry for `key`, sealed under `under`. */
export function retiredEntry(key: EncryptionKey, under: EncryptionKey, retiredBy: string, retiredAt = new Date().toISOString()): RetiredKeyEntry {
  return { id: key.id, sealed: seal(key.key.toString('hex'), staticKeyRing(under.key)), retired_by: retiredBy, retired_at: retiredAt };
}
