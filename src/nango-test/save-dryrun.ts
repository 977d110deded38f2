/**
 * The glue between `patchbay dryrun --save-responses` and the recorder: gathers what the run read
 * (the connection without credentials, the starting metadata and checkpoint) and writes the fixture
 * next to the function, `<integration>/tests/<function>.test.json`. Kept here so the dryrun command
 * needs three lines, not thirty.
 *
 * @example
 * const recorder = startRecording();
 * const app = await createApp({ paths, transport: recorder.transport });
 * ... run ...
 * const file = await saveDryRun(app, recorder, { fn, connectionId, input, result });
 */
import type { FunctionManifest, Manifest } from '../build/manifest.ts';
import type { Connection } from '../define/context.ts';
import { toPatchbayError } from '../errors.ts';
import { createUndiciTransport } from '../upstream/transport.ts';
import { checkpointKey } from '../runtime/live-capabilities.ts';
import type { ProjectPaths } from '../config/paths.ts';
import type { ConnectionService } from '../connections/types.ts';
import type { Store } from '../store/types.ts';
import type { ExecutionResult } from '../runtime/types.ts';
import { buildFixture, createRecorder, writeFixture, type Recorder } from './recorder.ts';

/** A recorder over a fresh undici transport; `close()` releases its sockets. `startedAt` pins replay's clock. */
export function startRecording(): Recorder & { close(): Promise<void>; startedAt: string } {
  const undici = createUndiciTransport();
  const recorder = createRecorder(undici.send);
  return { ...recorder, startedAt: new Date().toISOString(), close: () => undici.close() };
}

/** What the dryrun command knows about the run it just made. */
export interface DryRunFacts {
  fn: FunctionManifest;
  connectionId: string;
  input?: unknown;
  /** `--metadata` / `--checkpoint` when given (else the stored ones are recorded). */
  metadata?: Record<string, unknown>;
  checkpoint?: Record<string, unknown>;
  result?: ExecutionResult;
  error?: unknown;
}

/** What saving needs from the app (a structural subset, so this layer never imports the root). */
export interface DryRunSources {
  readonly manifest: Manifest;
  readonly paths: ProjectPaths;
  readonly store: Pick<Store, 'kv'>;
  readonly connections: Pick<ConnectionService, 'get'>;
}

/** Writes the fixture of a finished dry run and returns its path. */
export async function saveDryRun(runtime: DryRunSources, recorder: Recorder & { startedAt?: string }, facts: DryRunFacts): Promise<string> {
  const { fn, connectionId } = facts;
  const loaded = await runtime.connections.get(fn.integrationId, connectionId);
  const connection: Connection = {
    connection_id: loaded.connection_id,
    provider_config_key: loaded.provider_config_key,
    provider: loaded.provider,
    credentials: { type: 'NONE' },
    connection_config: loaded.connection_config,
    metadata: facts.metadata ?? loaded.metadata,
    created_at: loaded.created_at,
    updated_at: loaded.updated_at,
  };
  const checkpoint =
    facts.checkpoint ?? (fn.type === 'sync' ? ((await runtime.store.kv.get<Record<string, unknown>>(checkpointKey(fn.integrationId, connectionId, fn.name))) ?? null) : null);
  const parts: Parameters<typeof buildFixture>[0] = {
    input: facts.input,
    connection,
    metadata: facts.metadata ?? loaded.metadata ?? null,
    checkpoint,
    exchanges: recorder.exchanges(),
    ...(recorder.startedAt ? { now: recorder.startedAt } : {}),
  };
  if (facts.result) parts.result = facts.result;
  if (facts.error !== undefined) {
    const err = toPatchbayError(facts.error, 'FUNCTION_ERROR');
    parts.error = err.code === 'ACTION_ERROR' ? { code: err.code, message: err.message, payload: err.details } : { code: err.code, message: err.message };
  }
  const dir = runtime.manifest.integrations.find((i) => i.id === fn.integrationId)?.dir ?? `${runtime.paths.integrationsDir}/${fn.integrationId}`;
  return writeFixture(dir, fn.name, buildFixture(parts));
}
