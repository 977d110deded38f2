/**
 * Finds and reads the fixture of one function, in either of Nango's layouts:
 *
 * - unified (current): `<integration>/tests/<function>.test.json`;
 * - legacy (older CLIs): `<integration>/mocks/<function>/{input,output}.json`,
 *   `mocks/<function>/<Model>/{batchSave,batchDelete}.json`, `mocks/nango/{getConnection,getMetadata}.json`
 *   and the responses under `mocks/nango/<method>/proxy/<endpoint>/`, either `<function>.json` (the
 *   body alone, served for any request to that endpoint) or `<function>/<hash>.json` (a response
 *   with the identity of its request).
 *
 * The unified file wins when both exist, as in Nango.
 *
 * @example
 * const fixture = await loadFixture('/project/integrations/github', 'list-issues');
 * if (!fixture) console.log('no recording; run patchbay dryrun ... --save-responses');
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { PatchbayError } from '../errors.ts';
import { fixtureFromUnified, normalizeEndpoint, type Fixture, type NangoSection, type Recording, type UnifiedFixtureFile } from './fixture.ts';

/** Where the unified fixture of a function lives. */
export function unifiedFixturePath(integrationDir: string, functionName: string): string {
  return path.join(integrationDir, 'tests', `${functionName}.test.json`);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

async function readJson(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PatchbayError('INVALID_CONFIG', `Fixture ${file} is not valid JSON (${(error as Error).message}). Fix the file or record it again with patchbay dryrun --save-responses.`);
  }
}

async function readJsonIfExists(file: string): Promise<{ found: boolean; value: unknown }> {
  if (!(await exists(file))) return { found: false, value: undefined };
  return { found: true, value: await readJson(file) };
}

/** Loads the fixture of `functionName`, or undefined when it has none in either layout. */
export async function loadFixture(integrationDir: string, functionName: string): Promise<Fixture | undefined> {
  const unified = unifiedFixturePath(integrationDir, functionName);
  if (await exists(unified)) {
    const file = await readJson(unified);
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new PatchbayError('INVALID_CONFIG', `Fixture ${unified} must hold a JSON object with input, output, nango and api.`);
    }
    return fixtureFromUnified(file as UnifiedFixtureFile, unified);
  }
  const legacyDir = path.join(integrationDir, 'mocks', functionName);
  if (await exists(legacyDir)) return loadLegacy(integrationDir, functionName);
  return undefined;
}

async function loadLegacy(integrationDir: string, name: string): Promise<Fixture> {
  const mocks = path.join(integrationDir, 'mocks');
  const own = path.join(mocks, name);
  const input = await readJsonIfExists(path.join(own, 'input.json'));
  const output = await readJsonIfExists(path.join(own, 'output.json'));
  const nango: NangoSection = {};
  for (const key of ['getConnection', 'getMetadata', 'updateMetadata', 'trackDeletesStart', 'trackDeletesEnd'] as const) {
    const value = await readJsonIfExists(path.join(mocks, 'nango', `${key}.json`));
    if (value.found) nango[key] = value.value;
  }
  for (const entry of await readdir(own, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const save = await readJsonIfExists(path.join(own, entry.name, 'batchSave.json'));
    const del = await readJsonIfExists(path.join(own, entry.name, 'batchDelete.json'));
    if (save.found) (nango.batchSave ??= {})[entry.name] = save.value as unknown[];
    if (del.found) (nango.batchDelete ??= {})[entry.name] = del.value as unknown[];
  }
  return {
    layout: 'legacy',
    source: own,
    hasInput: input.found,
    input: input.value,
    hasOutput: output.found,
    output: output.value,
    nango,
    recordings: await legacyRecordings(path.join(mocks, 'nango'), name),
    httpErrors: 'return',
  };
}

interface LegacyMockFile {
  endpoint?: string;
  requestIdentityHash?: string;
  requestIdentity?: { params?: Array<[string, unknown]>; headers?: Array<[string, unknown]>; data?: unknown };
  response?: unknown;
  status?: number;
  headers?: Record<string, string>;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full)));
    else if (entry.name.endsWith('.json')) out.push(full);
  }
  return out;
}

/** Every response recorded for function `name` under `mocks/nango/<method>/proxy/`. */
async function legacyRecordings(nangoDir: string, name: string): Promise<Recording[]> {
  const out: Recording[] = [];
  let methods: string[] = [];
  try {
    methods = (await readdir(nangoDir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return out;
  }
  for (const method of methods) {
    const proxyDir = path.join(nangoDir, method, 'proxy');
    for (const file of await walk(proxyDir)) {
      const relative = path.relative(proxyDir, file).split(path.sep);
      const base = relative[relative.length - 1]!.replace(/\.json$/, '');
      const inOwnDir = relative.length >= 2 && relative[relative.length - 2] === name;
      if (!inOwnDir && base !== name) continue;
      const content = await readJson(file);
      const mock = content as LegacyMockFile;
      if (inOwnDir && mock && typeof mock === 'object' && 'requestIdentity' in mock && 'response' in mock) {
        const identity = mock.requestIdentity ?? {};
        const recording: Recording = {
          method: method.toLowerCase(),
          endpoint: normalizeEndpoint(mock.endpoint ?? relative.slice(0, -2).join('/')),
          response: mock.response,
          hash: mock.requestIdentityHash ?? base,
          request: {
            params: Object.fromEntries(identity.params ?? []),
            headers: Object.fromEntries(identity.headers ?? []),
            ...(identity.data !== undefined ? { data: identity.data } : {}),
          },
        };
        if (mock.status !== undefined) recording.status = mock.status;
        if (mock.headers !== undefined) recording.headers = mock.headers;
        out.push(recording);
      } else if (base === name) {
        out.push({ method: method.toLowerCase(), endpoint: relative.slice(0, -1).join('/'), response: content, anyRequest: true });
      }
    }
  }
  return out;
}
