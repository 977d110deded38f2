/**
 * Temp projects for build tests: an integrations/ folder written from a map of files (or copied
 * from a fixture) in a fresh folder under os.tmpdir(), removed by `cleanup()`.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type ProjectPaths } from '../../src/config/paths.ts';

export const FIXTURE = fileURLToPath(new URL('../fixtures/fake-integration/integrations', import.meta.url));

export interface TempProject {
  root: string;
  paths: ProjectPaths;
  write(relative: string, content: string): void;
  cleanup(): void;
}

/** A project whose integrations/ holds `files` (paths relative to integrations/), or a copy of the fake fixture. */
export function tempProject(files?: Record<string, string>): TempProject {
  const root = mkdtempSync(path.join(os.tmpdir(), 'patchbay-build-'));
  const integrations = path.join(root, 'integrations');
  const write = (relative: string, content: string) => {
    const file = path.join(integrations, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  if (files) {
    mkdirSync(integrations, { recursive: true });
    for (const [relative, content] of Object.entries(files)) write(relative, content);
  } else cpSync(FIXTURE, integrations, { recursive: true });
  return {
    root,
    paths: resolvePaths({ cwd: root, env: {} }),
    write,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A minimal valid action file. */
export const ACTION = `import { z } from 'zod';
import { createAction } from 'nango';
export default createAction({
  description: 'Echo',
  input: z.object({ text: z.string() }),
  output: z.object({ text: z.string() }),
  exec: async (_nango, input) => ({ text: input.text }),
});
`;

/** A minimal valid sync file with the given frequency. */
export function syncFile(frequency = 'every hour', model = 'z.object({ id: z.string(), name: z.string() })'): string {
  return `import { z } from 'zod';
import { createSync } from 'nango';
export default createSync({
  description: 'Things',
  frequency: ${JSON.stringify(frequency)},
  models: { Thing: ${model} },
  exec: async (nango) => { await nango.batchSave([{ id: '1', name: 'a' }], 'Thing'); },
});
`;
}
