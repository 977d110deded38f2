import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKey, keyIdOf, parseKey, seal, sealedKeyId, staticKeyRing, unseal } from '../../src/connections/crypto.ts';
import { PatchbayError } from '../../src/errors.ts';

const isKeyError = (pattern: RegExp) => (error: unknown) => error instanceof PatchbayError && error.code === 'ENCRYPTION_KEY_ERROR' && pattern.test(error.message);

describe('crypto', () => {
  it('seals with a fresh IV each time and unseals back', () => {
    const ring = staticKeyRing(generateKey());
    const a = seal('{"token":"s3cret"}', ring);
    const b = seal('{"token":"s3cret"}', ring);
    assert.notEqual(a, b);
    assert.ok(!a.includes('s3cret'));
    assert.equal(sealedKeyId(a), ring.sealingKey().id);
    assert.equal(unseal(a, ring), '{"token":"s3cret"}');
    assert.equal(unseal(b, ring), '{"token":"s3cret"}');
  });

  it('refuses a tampered value and a value sealed with an unknown key', () => {
    const key = generateKey();
    const ring = staticKeyRing(key);
    const sealed = seal('hello', ring);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    assert.throws(() => unseal(parts.join(':'), ring), isKeyError(/integrity/));
    assert.throws(() => unseal(sealed, staticKeyRing(generateKey())), isKeyError(new RegExp(`key ${keyIdOf(key)}`)));
    assert.throws(() => unseal('plain text', ring), isKeyError(/sealed format/));
  });

  it('reads with every key of a ring and seals with the first', () => {
    const [oldKey, newKey] = [generateKey(), generateKey()];
    const old = seal('x', staticKeyRing(oldKey));
    const both = staticKeyRing(newKey, oldKey);
    assert.equal(unseal(old, both), 'x');
    assert.equal(sealedKeyId(seal('y', both)), keyIdOf(newKey));
  });

  it('parses hex and base64 keys and refuses anything else without echoing it', () => {
    const key = generateKey();
    assert.deepEqual(parseKey(key.toString('hex'), 'K'), key);
    assert.deepEqual(parseKey(key.toString('base64'), 'K'), key);
    assert.deepEqual(parseKey(`${key.toString('base64url')}\n`, 'K'), key);
    for (const bad of ['', 'short', 'z'.repeat(64), Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('hex')]) {
      assert.throws(() => parseKey(bad, 'PATCHBAY_ENCRYPTION_KEY'), (error: unknown) => {
        assert.ok(error instanceof PatchbayError && error.code === 'ENCRYPTION_KEY_ERROR');
        assert.match(error.message, /PATCHBAY_ENCRYPTION_KEY is not a valid encryption key.*openssl rand -base64 32/);
        if (bad.length > 3) assert.ok(!error.message.includes(bad));
        return true;
      });
    }
  });
});
