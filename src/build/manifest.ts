/**
 * The manifest: what `compile` produced and every front end (dryrun, serve, MCP, scheduler)
 * reads. One entry per function, with its JSON Schemas so the MCP layer never loads a bundle
 * just to list tools.
 */
import type { OnEventName, ToolAnnotations } from '../define/types.ts';

export type JsonSchema = Record<string, unknown>;

export interface FunctionManifest {
  integrationId: string;
  name: string;
  type: 'action' | 'sync' | 'onEvent';
  /** Source file, relative to the integrations folder. */
  source: string;
  /** Absolute path of the bundled ESM module (default export: the definition). */
  bundle: string;
  description: string;
  version?: string;
  scopes?: string[];
  /** Actions. */
  input?: JsonSchema;
  output?: JsonSchema;
  annotations?: ToolAnnotations;
  /** HTTP methods the function's source uses (nango.get/post/… or `method:`), for tool hints. */
  httpMethods?: string[];
  /** Syncs. */
  models?: Record<string, JsonSchema>;
  frequency?: string;
  /** Frequency in ms when it is an interval; absent for cron. */
  intervalMs?: number;
  cron?: string;
  syncType?: 'full' | 'incremental';
  trackDeletes?: boolean;
  autoStart?: boolean;
  webhookSubscriptions?: string[];
  /** On-event functions. */
  event?: OnEventName;
  metadata?: JsonSchema;
  checkpoint?: JsonSchema;
  timeoutMs?: number;
}

export interface IntegrationManifest {
  id: string;
  /** Absolute path of the integration folder. */
  dir: string;
  /** Whether integration.json exists. */
  hasConfig: boolean;
}

export interface Manifest {
  schemaVersion: 1;
  builtAt: string;
  /** Hash over every source file's path and content; unchanged sources reuse the build. */
  sourceHash: string;
  integrationsDir: string;
  integrations: IntegrationManifest[];
  functions: FunctionManifest[];
}
