/**
 * Content hashing of records. A record's hash is the sha256 of its stable JSON (object keys
 * sorted, recursively), so the same content always hashes the same whatever key order the
 * provider returned. Stores compare hashes to skip unchanged records: no new cursor, no webhook.
 */
import { hash } from 'node:crypto';
import { PatchbayError } from '../errors.ts';

/**
 * JSON with object keys sorted at every depth; `undefined` members are dropped as JSON.stringify
 * drops them. Used both as the stored text and as the hash input, so a record is serialised once.
 *
 * @example stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }) // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    return text === undefined ? 'null' : text;
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const item = value[i];
      out += item === undefined || typeof item === 'function' ? 'null' : stableStringify(item);
    }
    return out + ']';
  }
  const maybeJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof maybeJson === 'function') return stableStringify(maybeJson.call(value));
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += JSON.stringify(key) + ':' + stableStringify(item);
  }
  return out + '}';
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

/** Serialises and hashes one record. */
export function prepareRecord(id: string, data: Record<string, unknown>): PreparedRecord {
  const json = stableStringify(data);
  return { id, data, json, hash: hashText(json) };
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
