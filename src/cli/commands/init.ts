/**
 * `patchbay init`: starts a project in the current folder. Writes integrations/ with a working
 * GitHub example (the package's own integrations/github), a tsconfig.json whose `paths` let the
 * editor resolve `nango` to patchbay's types, and a .gitignore for .patchbay/. It never
 * overwrites: an existing integrations/ stops it, an existing tsconfig.json is left alone.
 */
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { displayPath } from '../../build/diagnostics.ts';
import { PACKAGE_ROOT, SDK_TYPES_FILE } from '../../build/sdk.ts';
import { PatchbayError } from '../../errors.ts';
import { pathsFrom } from '../options.ts';

/** The tsconfig.json `init` writes: strict, bundler resolution, `nango`/`patchbay` → our types. */
export function projectTsconfig(root: string, integrationsDir: string): string {
  let types = path.relative(root, SDK_TYPES_FILE).split(path.sep).join('/');
  if (!types.startsWith('.')) types = `./${types}`;
  const config = {
    compilerOptions: {
      target: 'es2022',
      module: 'esnext',
      moduleResolution: 'bundler',
      lib: ['es2023'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      paths: { nango: [types], patchbay: [types] },
    },
    include: [displayPath(root, integrationsDir)],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Registers `init`. */
export function register(program: Command): void {
  program
    .command('init')
    .description('create integrations/ with a working example, a tsconfig.json and a .gitignore')
    .action((_opts: unknown, cmd: Command) => {
      const paths = pathsFrom(cmd);
      const shownDir = displayPath(paths.root, paths.integrationsDir);
      if (existsSync(paths.integrationsDir)) {
        throw new PatchbayError(
          'INVALID_ARGUMENT',
          `${shownDir}/ already exists; init never overwrites. Run it in an empty folder, or pass --integrations <new-dir>.`,
        );
      }
      // The example is the package's own integrations/github, less its OAuth client settings:
      // a new user starts with a token (`connection add github <id> --token …`).
      const example = path.join(PACKAGE_ROOT, 'integrations', 'github');
      if (!existsSync(example)) throw new PatchbayError('INTERNAL', `The package is missing its example (${example}); reinstall patchbay.`);
      const target = path.join(paths.integrationsDir, 'github');
      cpSync(example, target, { recursive: true, errorOnExist: true, force: false });
      writeFileSync(path.join(target, 'integration.json'), '{\n  "provider": "github"\n}\n');
      const written = [`${shownDir}/github (actions/create-issue.ts, syncs/issues.ts)`];

      const tsconfig = path.join(paths.root, 'tsconfig.json');
      let note = '';
      if (existsSync(tsconfig)) {
        note = `tsconfig.json exists and was left alone; for editor types add "paths": { "nango": ["${path.relative(paths.root, SDK_TYPES_FILE)}"] }.\n`;
      } else {
        writeFileSync(tsconfig, projectTsconfig(paths.root, paths.integrationsDir), { flag: 'wx' });
        written.push('tsconfig.json');
      }
      const gitignore = path.join(paths.root, '.gitignore');
      // State and secrets stay out of git: .patchbay/ (database, key) and .env (OAuth app secrets).
      if (!existsSync(gitignore)) {
        writeFileSync(gitignore, '.patchbay/\n.env\nnode_modules/\n', { flag: 'wx' });
        written.push('.gitignore');
      } else {
        const text = readFileSync(gitignore, 'utf8');
        const missing = [
          ['.patchbay/', /^\/?\.patchbay\/?$/m],
          ['.env', /^\/?\.env$/m],
        ].filter(([, pattern]) => !(pattern as RegExp).test(text)).map(([line]) => line as string);
        if (missing.length > 0) {
          appendFileSync(gitignore, `${text.endsWith('\n') || text === '' ? '' : '\n'}${missing.join('\n')}\n`);
          written.push(`.gitignore (added ${missing.join(', ')})`);
        }
      }

      process.stdout.write(
        `Created ${written.join(', ')}.\n${note}\n` +
          'Next steps:\n' +
          '  npx patchbay compile                                   # type-check and bundle\n' +
          '  npx patchbay connection add github me --token <GITHUB_TOKEN>\n' +
          `  npx patchbay dryrun github/create-issue me --input '{"owner":"<you>","repo":"<repo>","title":"Hello from patchbay"}'\n` +
          '  npx patchbay serve                                     # every action as an MCP tool\n',
      );
    });
}
