/**
 * Sealing credentials at rest: AES-256-GCM, a random 12-byte IV per write, the auth tag kept, and
 * the id of the key in front so several keys can be valid at once (that is what makes a key
 * rotation possible without downtime). Sealed text:
 *
 *   pb1:<key id>:<iv>:<tag>:<ciphertext>        (base64url parts; key id = 8 hex of sha256(key))
 *
 * A KeyRing holds the key new writes use and every key reads may need.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { PatchbayError } from '../errors.ts';

const PREFIX = 'pb1';
const IV_BYTES = 12;

/** A 32-byte AES key and its short public id. */
export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/**
 * The keys a process can use. `sealingKey()` is the key new writes use; `find` looks a key up by
 * the id in a sealed value; `refresh` re-reads key files (a rotation started elsewhere).
 */
export interface KeyRing {
  sealingKey(): EncryptionKey;
  find(id: string): EncryptionKey | undefined;
  refresh(): void;
  /** Ids of every key held, sealing key first. */
  ids(): string[];
}

/** The public id of a key: 8 hex characters of its sha256 (reveals nothing usable). */
export function keyIdOf(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Wraps raw bytes as an EncryptionKey; refuses anything but 32 bytes. */
export function encryptionKey(key: Uint8Array): EncryptionKey {
  if (key.length !== 32) throw new PatchbayError('ENCRYPTION_KEY_ERROR', `An encryption key must be 32 bytes, got ${key.length}.`);
  return { id: keyIdOf(key), key: Buffer.from(key) };
}

/** A fresh random 256-bit key. */
export function generateKey(): Buffer {
  return randomBytes(32);
}

/**
 * Parses a key written as 64 hex characters or as base64/base64url of 32 bytes. `source` names
 * where it came from (the variable or the file) for the error, which never echoes the value.
 *
 * @example
 * parseKey(process.env.PATCHBAY_ENCRYPTION_KEY!, 'PATCHBAY_ENCRYPTION_KEY');
 */
export function parseKey(text: string, source: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new PatchbayError(
    'ENCRYPTION_KEY_ERROR',
    `${source} is not a valid encryption key: it must be 32 bytes written as 64 hex characters or base64. Generate one with: openssl rand -base64 32`,
  );
}

/** A KeyRing of fixed keys; the first seals. For tests and env-provided keys. */
export function staticKeyRing(...keys: Uint8Array[]): KeyRing {
  if (keys.length === 0) throw new PatchbayError('ENCRYPTION_KEY_ERROR', 'A key ring needs at least one key.');
  const held = keys.map(encryptionKey);
  return {
    sealingKey: () => held[0]!,
    find: (id) => held.find((candidate) => candidate.id === id),
    refresh() {},
    ids: () => held.map((candidate) => candidate.id),
  };
}

/**
 * Encrypts `plaintext` with the ring's sealing key.
 *
 * @example
 * const sealed = seal(JSON.stringify(credentials), ring); // 'pb1:3fa2c1d0:…'
 */
export function seal(plaintext: string, ring: KeyRing): string {
  const { id, key } = ring.sealingKey();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${PREFIX}:${id}`));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [PREFIX, id, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join(':');
}

/** The key id a sealed value was written with, or undefined when the text is not sealed. */
export function sealedKeyId(sealed: string): string | undefined {
  const parts = sealed.split(':');
  return parts.length === 5 && parts[0] === PREFIX ? parts[1] : undefined;
}

/**
 * Decrypts a value made by {@link seal}. An unknown key id first refreshes the ring (another
 * process may be rotating). Fails with ENCRYPTION_KEY_ERROR when the key is missing or the value
 * was tampered with; the message never contains the value.
 */
export function unseal(sealed: string, ring: KeyRing): string {
  const parts = sealed.split(':');
  if (parts.length !== 5 || parts[0] !== PREFIX) {
    throw new PatchbayError('ENCRYPTION_KEY_ERROR', 'A stored credential is not in the sealed format patchbay writes; the database may be corrupt.');
  }
  const [, id, iv, tag, body] = parts as [string, string, string, string, string];
  let found = ring.find(id);
  if (!found) {
    ring.refresh();
    found = ring.find(id);
  }
  if (!found) {
    throw new PatchbayError(
      'ENCRYPTION_KEY_ERROR',
      `A stored credential was sealed with encryption key ${id}, which this process does not have (it holds ${ring.ids().join(', ')}). Restore the key file or PATCHBAY_ENCRYPTION_KEY that was in use, or remove and re-add the connection.`,
    );
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', found.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`${PREFIX}:${id}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new PatchbayError('ENCRYPTION_KEY_ERROR', `A stored credential sealed with key ${id} failed its integrity check; it was altered or the key file was replaced.`, { cause: error });
  }
}
