/**
 * `patchbay providers [search <term> | show <key> | schema] [--json]`: browse the shipped provider
 * catalog, so a user finds the key to put in integration.json without leaving the terminal.
 */
import type { Command } from 'commander';
import { PatchbayError } from '../../errors.ts';
import { getProvider, integrationJsonSchema, listProviders, searchProviders, suggestProviders } from '../../providers/index.ts';
import type { ProviderConfig } from '../../providers/index.ts';

interface JsonOption {
  json?: boolean;
}

/** Registers `providers`, `providers search`, `providers show` and `providers schema`. */
export function register(program: Command): void {
  const providers = program
    .command('providers')
    .description('list the provider catalog (keys to use in integration.json)')
    .option('--json', 'print JSON')
    .action((options: JsonOption) => {
      printList(listProviders(), options.json === true);
    });

  providers
    .command('search')
    .description('search providers by key, alias, name or category')
    .argument('<term...>', 'words that must all match')
    .option('--json', 'print JSON')
    .action((term: string[], options: JsonOption, command: Command) => {
      const found = searchProviders(term.join(' '));
      const json = options.json === true || command.parent?.opts<JsonOption>().json === true;
      if (found.length === 0 && !json) {
        const close = suggestProviders(term.join('-'));
        process.stdout.write(`No provider matches "${term.join(' ')}".${close.length ? ` Close keys: ${close.join(', ')}.` : ''} Describe it inline in integration.json (see docs/providers.md).\n`);
        return;
      }
      printList(found, json);
    });

  providers
    .command('show')
    .description('show one provider: auth, base URL, pagination, verification')
    .argument('<key>', 'catalog key or alias')
    .option('--json', 'print JSON')
    .action((key: string, options: JsonOption, command: Command) => {
      const provider = getProvider(key);
      if (!provider) {
        const close = suggestProviders(key);
        throw new PatchbayError('PROVIDER_NOT_FOUND', `No provider "${key}" in the catalog.${close.length ? ` Did you mean ${close.join(', ')}?` : ''} List them: patchbay providers search <term>`);
      }
      const json = options.json === true || command.parent?.opts<JsonOption>().json === true;
      process.stdout.write(json ? `${JSON.stringify(provider, null, 2)}\n` : describe(provider));
    });

  providers
    .command('schema')
    .description('print the JSON Schema of integration.json (for editor completion)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(integrationJsonSchema(), null, 2)}\n`);
    });
}

function printList(list: ProviderConfig[], json: boolean): void {
  if (json) {
    const rows = list.map((p) => ({ key: p.name, display_name: p.display_name ?? p.name, auth_mode: p.auth_mode, categories: p.categories ?? [], aliases: p.aliases ?? [] }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const rows = [['KEY', 'NAME', 'AUTH', 'CATEGORIES'], ...list.map((p) => [p.name, p.display_name ?? p.name, p.auth_mode, (p.categories ?? []).join(', ')])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd());
  process.stdout.write(`${lines.join('\n')}\n${list.length} provider(s). Details: patchbay providers show <key>\n`);
}

function describe(p: ProviderConfig): string {
  const lines: string[] = [`${p.display_name ?? p.name} (${p.name})`, `  auth:        ${p.auth_mode}`, `  base URL:    ${p.proxy.base_url}`];
  if (p.aliases?.length) lines.push(`  aliases:     ${p.aliases.join(', ')}`);
  if (p.categories?.length) lines.push(`  categories:  ${p.categories.join(', ')}`);
  if (p.authorization_url) lines.push(`  authorize:   ${p.authorization_url}`);
  if (p.token_url) lines.push(`  token:       ${p.token_url}`);
  if (p.default_scopes?.length) lines.push(`  scopes:      ${p.default_scopes.join(p.scope_separator ?? ' ')}`);
  if (p.proxy.paginate) lines.push(`  paginate:    ${JSON.stringify(p.proxy.paginate)}`);
  if (p.proxy.retry) lines.push(`  rate limits: ${JSON.stringify(p.proxy.retry)}`);
  if (p.proxy.verification) lines.push(`  verify:      ${p.proxy.verification.method ?? 'GET'} ${p.proxy.verification.endpoints.join(', ')}`);
  for (const [name, field] of Object.entries(p.connection_config ?? {})) {
    const shape = [
      field.format,
      field.allowed_host_suffixes && `under ${field.allowed_host_suffixes.join(', ')}`,
      field.allow_port && 'port allowed',
      field.enum && `one of ${field.enum.join(', ')}`,
      field.pattern && `matching ${field.pattern}`,
    ].filter(Boolean);
    lines.push(`  connection config "${name}": ${field.title ?? name}${field.example ? ` (e.g. ${field.example})` : ''}${shape.length ? `; ${shape.join(', ')}` : ''}`);
  }
  if (p.docs) lines.push(`  docs:        ${p.docs}`);
  lines.push('', `  integrations/<id>/integration.json: { "provider": "${p.name}" }`);
  return `${lines.join('\n')}\n`;
}
