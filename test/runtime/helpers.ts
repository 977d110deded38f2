/**
 * Shared setup for runtime tests: a manifest over the fixture bundles in test/fixtures/runtime/
 * and a scope factory with in-memory state (the dry-run capabilities) and a proxy that refuses.
 */
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FunctionManifest, Manifest } from '../../src/build/manifest.ts';
import { PatchbayError } from '../../src/errors.ts';
import { createRecordCollector, memoryState } from '../../src/runtime/dry-run.ts';
import type { ScopeFactory } from '../../src/runtime/executor.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/runtime/', import.meta.url));

function fn(name: string, type: FunctionManifest['type']): FunctionManifest {
  return { integrationId: 'fake', name, type, source: `fake/${name}.ts`, bundle: path.join(FIXTURES, `${name}.mjs`), description: name };
}

/** A manifest over the fixture bundles (integration "fake"). */
export function fixtureManifest(): Manifest {
  return {
    schemaVersion: 1,
    builtAt: new Date().toISOString(),
    sourceHash: 'test',
    integrationsDir: FIXTURES,
    integrations: [{ id: 'fake', dir: FIXTURES, hasConfig: false }],
    functions: [fn('echo', 'action'), fn('misbehave', 'action'), fn('items', 'sync'), fn('slow-sync', 'sync')],
  };
}

/** Scope with memory metadata/checkpoint and a record collector; no HTTP. */
export function memoryScope(metadata: Record<string, unknown> = {}): ScopeFactory {
  return async ({ fn, request, executionId }) => {
    const state = memoryState({ metadata });
    const collector = createRecordCollector();
    const refuse = async (): Promise<never> => {
      throw new PatchbayError('INVALID_CONFIG', 'No HTTP in this test scope.');
    };
    return {
      info: { connectionId: request.connectionId, providerConfigKey: fn.integrationId, provider: 'fake', executionId },
      caps: {
        ...state,
        proxy: refuse,
        getConnection: refuse,
        getEnvironmentVariables: async () => [{ name: 'A', value: '1' }],
        getWebhookURL: async () => null,
        triggerAction: refuse,
        tryAcquireLock: async () => true,
        releaseLock: async () => true,
        ...(fn.type === 'sync' ? { records: collector.caps } : {}),
      },
      finish: () => (fn.type === 'sync' ? { records: collector.records(), changes: collector.changes() } : {}),
    };
  };
}

/** A pino destination that keeps what was written: the raw lines (to measure them) and the whole text. */
export function captureLog(): { stream: Writable; lines: () => string[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const text = () => chunks.join('');
  return { stream, text, lines: () => text().split('\n').filter(Boolean) };
}
