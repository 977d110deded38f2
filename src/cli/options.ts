/**
 * Helpers shared by commands: global options to paths, and JSON arguments (`JSON` or `@file`).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadProjectEnv } from '../config/dotenv.ts';
import { resolvePaths, type ProjectPaths } from '../config/paths.ts';
import { PatchbayError } from '../errors.ts';

/**
 * The project paths from the root program's `--integrations` / `--home` options. The project's
 * `.env` (beside integrations/) is loaded here, once, without overriding the real environment.
 */
export function pathsFrom(command: Command): ProjectPaths {
  let root: Command = command;
  while (root.parent) root = root.parent;
  const opts = root.opts<{ integrations?: string; home?: string }>();
  const local = command.opts<{ integrations?: string; home?: string }>();
  const paths = resolvePaths({ integrations: local.integrations ?? opts.integrations, home: local.home ?? opts.home });
  loadProjectEnv(paths);
  return paths;
}

/** Parses `--input '{"a":1}'` or `--input @file.json`; the error names the option and what to fix. */
export function parseJsonArgument(value: string | undefined, option: string): unknown {
  if (value === undefined) return undefined;
  let text = value;
  if (value.startsWith('@')) {
    const file = value.slice(1);
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new PatchbayError('INVALID_ARGUMENT', `${option}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Pass JSON inline or @path/to/file.json.`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PatchbayError('INVALID_ARGUMENT', `${option} is not valid JSON: ${(error as Error).message}. Example: ${option} '{"key":"value"}'`);
  }
}
