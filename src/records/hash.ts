/**
 * Content hashing of records. A record's hash is the sha256 of its stable JSON (object keys
 * sorted, recursively), so the same content always hashes the same whatever key order the
 * provider returned. Stores compare hashes to skip unchanged records: no new cursor, no webhook.
 */
import { hash } from 'node:crypto';
import { PatchbayError } from '../errors.ts';

/**
 * A canonical copy of `value` for serialisation: every plain object's keys in sorted order
 * (integer-like keys come first in numeric order, as JavaScript objects always order them),
 * `toJSON` applied. Parts already canonical are reused, not copied, so the common case costs
 * little more than a walk; V8's native JSON.stringify then does the string work.
 */
function canonical(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = canonical(value[i]);
      if (item !== value[i]) {
        copy ??= value.slice();
        copy[i] = item;
      }
    }
    return copy ?? value;
  }
  const toJSON = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return canonical(toJSON.call(value));
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    let leaf = true;
    for (const key of keys) {
      const item = object[key];
      if (item !== null && typeof item === 'object') {
        leaf = false;
        break;
      }
    }
    if (leaf) return object;
  } else keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const item = canonical(object[key]);
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}

/**
 * JSON with object keys in a canonical (sorted) order at every depth; `undefined` members are
 * dropped as JSON.stringify drops them. Used both as the stored text and as the hash input, so a
 * record is serialised once. The same content gives the same text whatever key order it came in.
 *
 * @example stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function stableStringify(value: unknown): string {
  const text = JSON.stringify(canonical(value));
  return text === undefined ? 'null' : text;
}

/** sha256 (base64) of a stable JSON text. */
export function hashText(text: string): string {
  return hash('sha256', text, 'base64');
}

/** A record ready for a store: string id, its stable JSON and content hash. */
export interface PreparedRecord {
  id: string;
  data: Record<string, unknown>;
  json: string;
  hash: string;
}

/**
 * The record's id as a string, or an INVALID_RECORD error that says what to fix. Numbers are
 * converted (`42` → `'42'`), as Nango does.
 */
export function recordId(record: unknown, model: string): string {
  const id = record !== null && typeof record === 'object' ? (record as Record<string, unknown>)['id'] : undefined;
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  throw new PatchbayError(
    'INVALID_RECORD',
    `A record of model "${model}" has no usable "id" (got ${id === undefined ? 'none' : JSON.stringify(id)}). Every record needs a non-empty string or number id.`,
  );
}

/** Serialises and hashes one record; INVALID_RECORD when it cannot be JSON (BigInt, cycles). */
export function prepareRecord(id: string, data: Record<string, unknown>): PreparedRecord {
  let json: string;
  try {
    json = stableStringify(data);
  } catch (error) {
    throw new PatchbayError('INVALID_RECORD', `Record "${id}" cannot be stored as JSON: ${(error as Error).message}. Convert BigInt values to strings and remove circular references.`);
  }
  return { id, data, json, hash: hashText(json) };
}

/** Serialises one record without hashing (the hash is computed only when the text changed). */
export function serializeRecord(id: string, data: Record<string, unknown>): string {
  try {
    return stableStringify(data);
  } catch (error) {
    throw new PatchbayError('INVALID_RECORD', `Record "${id}" cannot be stored as JSON: ${(error as Error).message}. Convert BigInt values to strings and remove circular references.`);
  }
}

/**
 * Turns what a function passed to batchSave/batchUpdate/batchDelete into store input:
 * `{ id, data }` with string ids. Throws INVALID_RECORD on a record without id.
 */
export function toRecordInputs(records: unknown[], model: string): Array<{ id: string; data: Record<string, unknown> }> {
  if (!Array.isArray(records)) {
    throw new PatchbayError('INVALID_RECORD', `Records of model "${model}" must be an array of objects.`);
  }
  return records.map((record) => ({ id: recordId(record, model), data: record as Record<string, unknown> }));
}

/**
 * One entry per id, the last one winning (as if saved one after the other), in first-seen order.
 * A batch that repeats an id then counts as one added or updated record, not both.
 */
export function lastPerId<T extends { id: string }>(records: T[]): T[] {
  const byId = new Map<string, T>();
  for (const record of records) byId.set(record.id, record);
  return byId.size === records.length ? records : [...byId.values()];
}
