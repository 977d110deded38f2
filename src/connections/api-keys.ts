/**
 * API keys for the HTTP server and `/mcp`. A secret is `pb_sk_` + 32 random bytes (base64url),
 * shown once and stored only as its sha256; verification compares hashes in constant time.
 * A key may be scoped to some connections and some tool-name globs.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { PatchbayError } from '../errors.ts';
import type { ApiKeyRow, Store } from '../store/types.ts';

const PREFIX = 'pb_sk_';
const TOUCH_EVERY_MS = 60_000;

/** sha256 of a secret, hex: what the store keeps. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new random secret, `pb_sk_…`. */
export function generateSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64url')}`;
}

/**
 * Creates a key and returns its row and the secret (the only time it is visible).
 *
 * @example
 * const { secret } = await createApiKey(store, { name: 'claude', tools: ['github_*'] });
 */
export async function createApiKey(
  store: Store,
  options: { name: string; connections?: string[] | null; tools?: string[] | null; secret?: string },
): Promise<{ row: ApiKeyRow; secret: string }> {
  const name = options.name.trim();
  if (name === '') throw new PatchbayError('INVALID_ARGUMENT', 'An API key needs a name, e.g. --name claude-desktop.');
  const existing = await store.keys.list();
  if (existing.some((row) => row.name === name && row.revoked_at === null)) {
    throw new PatchbayError('INVALID_ARGUMENT', `An active API key named "${name}" exists already. Pick another name, or revoke it: patchbay key revoke ${name}`);
  }
  const secret = options.secret ?? generateSecret();
  const row: ApiKeyRow = {
    id: `key_${randomUUID().replace(/-/g, '').slice(0, 16)}`,
    name,
    hash: hashSecret(secret),
    connections: options.connections && options.connections.length > 0 ? options.connections : null,
    tools: options.tools && options.tools.length > 0 ? options.tools : null,
    created_at: new Date().toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await store.keys.insert(row);
  return { row, secret };
}

/**
 * The key a presented secret belongs to, or undefined (unknown or revoked). Records use at most
 * once a minute so a busy server does not write on every request.
 *
 * @example
 * const key = await verifyApiKey(store, bearerToken);
 * if (!key) return unauthorized();
 */
export async function verifyApiKey(store: Store, secret: string | undefined | null): Promise<ApiKeyRow | undefined> {
  if (!secret) return undefined;
  const hash = hashSecret(secret);
  const row = await store.keys.findByHash(hash);
  if (!row) return undefined;
  if (!timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
  if (row.revoked_at !== null) return undefined;
  const now = Date.now();
  if (row.last_used_at === null || now - Date.parse(row.last_used_at) >= TOUCH_EVERY_MS) {
    const at = new Date(now).toISOString();
    await store.keys.touch(row.id, at);
    row.last_used_at = at;
  }
  return row;
}

/**
 * Makes sure the server can be reached: `PATCHBAY_SECRET_KEY` set → that secret is registered as
 * a key (name `env`) and nothing else is created; otherwise the first start creates a key and
 * returns its secret so the caller prints it once.
 *
 * @example
 * const initial = await ensureInitialKey(store, process.env);
 * if (initial.secret) console.error(`API key (shown once): ${initial.secret}`);
 */
export async function ensureInitialKey(store: Store, env: NodeJS.ProcessEnv = process.env): Promise<{ secret?: string; source: 'env' | 'created' | 'existing' }> {
  const fromEnv = env['PATCHBAY_SECRET_KEY'];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) {
      throw new PatchbayError('INVALID_CONFIG', 'PATCHBAY_SECRET_KEY is too short: use at least 16 characters (patchbay key create prints a good one).');
    }
    const known = await store.keys.findByHash(hashSecret(fromEnv));
    if (!known) {
      const name = (await store.keys.list()).some((row) => row.name === 'env' && row.revoked_at === null) ? `env-${Date.now()}` : 'env';
      await createApiKey(store, { name, secret: fromEnv });
    } else if (known.revoked_at !== null) {
      throw new PatchbayError('INVALID_CONFIG', 'PATCHBAY_SECRET_KEY was revoked. Set a new secret (patchbay key create) or unset it.');
    }
    return { source: 'env' };
  }
  const active = (await store.keys.list()).filter((row) => row.revoked_at === null);
  if (active.length > 0) return { source: 'existing' };
  const { secret } = await createApiKey(store, { name: 'default' });
  return { secret, source: 'created' };
}
