/**
 * Where the encryption key comes from. `PATCHBAY_ENCRYPTION_KEY` (hex or base64 of 32 bytes) wins;
 * otherwise `<PATCHBAY_HOME>/encryption.key` (mode 0600), generated on first start. A missing or
 * corrupt key file while the database already holds sealed credentials is refused: generating a
 * new key then would silently orphan every connection.
 *
 * During a rotation the new key waits in `encryption.key.next`: every process that sees it seals
 * with it and still reads with the old key, so both keys stay valid until the rotation renames it
 * over `encryption.key`. Keys a rotation retired are read from the database (retired-keys.ts).
 *
 * Key files are written 0600 (whatever the umask), fsync'd, and linked or renamed into place with
 * the folder fsync'd too, so a crash never leaves a key file that exists but is empty.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, restrictFile, syncDir } from '../config/private-files.ts';
import { PatchbayError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { encryptionKey, generateKey, parseKey, sealedKeyId, type EncryptionKey, type KeyRing } from './crypto.ts';
import { openRetiredKeys, readRetiredKeys } from './retired-keys.ts';

/** The file holding the next key while a rotation is under way. */
export function pendingKeyFile(keyFile: string): string {
  return `${keyFile}.next`;
}

export interface LoadKeyRingOptions {
  /** `paths.keyFile`. */
  keyFile: string;
  env?: NodeJS.ProcessEnv;
  /** Consulted before generating a key: sealed data without a key is refused. */
  store: Store;
  /**
   * Load even when no stored row opens with the configured keys. By default that is refused (the
   * key is probably the wrong one, and new rows would be sealed under it); commands that only
   * list, show or remove connections pass true so each row can be reported as unreadable.
   */
  allowUnknownKeys?: boolean;
}

/** The key a key file holds; ENCRYPTION_KEY_ERROR naming the file when unreadable or corrupt. */
export function readKeyFile(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PatchbayError('ENCRYPTION_KEY_ERROR', `Cannot read the encryption key file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`, { cause: error });
  }
  try {
    return parseKey(text, `The encryption key file ${file}`);
  } catch {
    throw new PatchbayError(
      'ENCRYPTION_KEY_ERROR',
      `The encryption key file ${file} is corrupt (it must hold 32 bytes as 64 hex characters or base64). Restore it from a backup or set PATCHBAY_ENCRYPTION_KEY to the key in use; do not delete it while connections exist.`,
    );
  }
}

/**
 * Writes a key file atomically and exclusively (mode 0600): written to a temporary file, then
 * hard-linked into place, which fails when another process got there first.
 * Returns false when the file already existed.
 */
export function writeKeyFileExclusive(file: string, key: Uint8Array): boolean {
  mkdirSync(path.dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${Buffer.from(key).toString('hex')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx', flush: true });
  try {
    linkSync(tmp, file);
    syncDir(path.dirname(file));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}

/** Replaces `file` with `key` atomically (write to a temporary file, fsync, rename, fsync the folder). */
export function replaceKeyFile(file: string, key: Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, `${Buffer.from(key).toString('hex')}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx', flush: true });
  renameSync(tmp, file);
  syncDir(path.dirname(file));
}

/** Moves `from` over `to` atomically and makes the rename durable (the pending key becomes the key). */
export function promoteKeyFile(from: string, to: string): void {
  renameSync(from, to);
  syncDir(path.dirname(to));
}

/** Identity of a file's current version ('' when absent), to notice a replacement cheaply. */
function stampOf(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
  } catch {
    return '';
  }
}

async function sealedKeyIds(store: Store): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const row of await store.connections.list()) {
    const id = sealedKeyId(row.credentials);
    if (id) ids.add(id);
  }
  return ids;
}

/**
 * Loads the key ring for this process (see the module comment for the rules).
 *
 * @example
 * const ring = await loadKeyRing({ keyFile: paths.keyFile, store });
 */
export async function loadKeyRing(options: LoadKeyRingOptions): Promise<KeyRing> {
  const env = options.env ?? process.env;
  const { keyFile, store } = options;
  const envValue = env['PATCHBAY_ENCRYPTION_KEY'];
  // Written 0644 by an older patchbay or restored with a plain cp: owner-only from now on.
  restrictFile(keyFile);
  restrictFile(pendingKeyFile(keyFile));
  let primary: EncryptionKey;
  const previous: EncryptionKey[] = [];
  if (envValue !== undefined && envValue !== '') {
    primary = encryptionKey(parseKey(envValue, 'PATCHBAY_ENCRYPTION_KEY'));
    for (const part of (env['PATCHBAY_ENCRYPTION_KEY_PREVIOUS'] ?? '').split(',').filter((p) => p.trim() !== '')) {
      previous.push(encryptionKey(parseKey(part, 'PATCHBAY_ENCRYPTION_KEY_PREVIOUS')));
    }
  } else if (existsSync(keyFile)) {
    primary = encryptionKey(readKeyFile(keyFile));
  } else {
    const sealed = await sealedKeyIds(store);
    if (sealed.size > 0) {
      throw new PatchbayError(
        'ENCRYPTION_KEY_ERROR',
        `The encryption key file ${keyFile} is missing, but the database holds credentials sealed with key ${[...sealed].join(', ')}. Restore the file (or set PATCHBAY_ENCRYPTION_KEY to that key); patchbay will not create a new key that would orphan them.`,
      );
    }
    // Returns false when another process created it a moment ago: then theirs is read below.
    writeKeyFileExclusive(keyFile, generateKey());
    primary = encryptionKey(readKeyFile(keyFile));
  }

  const pendingFile = pendingKeyFile(keyFile);
  let pending: EncryptionKey | undefined;
  let pendingStamp = '';
  const readPending = (): void => {
    const stamp = stampOf(pendingFile);
    if (stamp === pendingStamp) return;
    pendingStamp = stamp;
    if (stamp === '' && pending) {
      // The rotation finished: its key was promoted to the key file. Keep sealing with it.
      primary = pending;
      known.set(pending.id, pending);
    }
    pending = stamp === '' ? undefined : encryptionKey(readKeyFile(pendingFile));
    if (pending) known.set(pending.id, pending);
  };
  const known = new Map<string, EncryptionKey>();
  for (const key of [primary, ...previous]) known.set(key.id, key);
  readPending();
  const fromEnv = envValue !== undefined && envValue !== '';
  let fileStamp = fromEnv ? '' : stampOf(keyFile);
  /** The key file is authoritative: a rotation elsewhere replaced it → seal with the new key. */
  const refreshFile = (): void => {
    if (fromEnv) return;
    const stamp = stampOf(keyFile);
    if (stamp === fileStamp || stamp === '') return;
    fileStamp = stamp;
    primary = encryptionKey(readKeyFile(keyFile));
    known.set(primary.id, primary);
  };

  // Keys earlier rotations retired, sealed under keys held now (rows written late under them).
  for (const key of openRetiredKeys(await readRetiredKeys(store), (id) => (pending?.id === id ? pending : known.get(id)))) {
    if (!known.has(key.id)) known.set(key.id, key);
  }

  const sealed = await sealedKeyIds(store);
  const all = (): string[] => [...new Set([...(pending ? [pending.id] : []), ...known.keys()])];
  if (!options.allowUnknownKeys && sealed.size > 0 && ![...sealed].some((id) => known.has(id) || pending?.id === id)) {
    throw new PatchbayError(
      'ENCRYPTION_KEY_ERROR',
      `The database holds credentials sealed with key ${[...sealed].join(', ')}, but the configured key is ${primary.id} (${envValue ? 'PATCHBAY_ENCRYPTION_KEY' : keyFile}). Use the key that sealed them; if it is lost for good, remove those connections (patchbay connection list shows them as unreadable) and add them again.`,
    );
  }

  return {
    sealingKey() {
      readPending();
      refreshFile();
      return pending ?? primary;
    },
    find(id) {
      if (pending?.id === id) return pending;
      return known.get(id);
    },
    refresh() {
      readPending();
      if (pending) known.set(pending.id, pending);
      refreshFile();
    },
    ids: all,
  };
}
