/**
 * The project's `.env`: the file beside `integrations/` (usually the project folder), read as
 * Nango's CLI reads it, so `${GITHUB_CLIENT_SECRET}` in integration.json and the variables
 * functions read can live there instead of in the shell. The real environment wins: a variable
 * already set is never replaced by the file.
 *
 * @example
 * loadProjectEnv(paths); // process.env.GITHUB_CLIENT_ID now set from .env unless it was already
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PatchbayError } from '../errors.ts';
import type { ProjectPaths } from './paths.ts';

/** Where the project's `.env` is: beside the integrations folder. */
export function dotEnvFile(paths: Pick<ProjectPaths, 'integrationsDir'>): string {
  return path.join(path.dirname(paths.integrationsDir), '.env');
}

/** Loads the project's `.env` into `process.env` without overriding; returns the file when there was one. */
export function loadProjectEnv(paths: Pick<ProjectPaths, 'integrationsDir'>): string | undefined {
  const file = dotEnvFile(paths);
  if (!existsSync(file)) return undefined;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    throw new PatchbayError('INVALID_CONFIG', `Cannot read ${file}: ${(error as Error).message}. Fix or remove it; each line is NAME=value.`, { cause: error });
  }
  return file;
}
