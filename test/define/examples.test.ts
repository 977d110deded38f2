/**
 * The `@example` blocks on the authoring SDK's exports (src/define/*.ts) are programs a user
 * would write: this test takes each one out of the JSDoc with the TypeScript compiler API and
 * type-checks it, as its own module, against the SDK, with `nango` / `patchbay` mapped to
 * src/index.ts and `zod` to our zod (what `patchbay build` does for user code). An example that
 * stops compiling after an API change fails here instead of misleading a reader.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { SDK_TYPES_FILE, zodPackageDir } from '../../src/build/sdk.ts';

const DEFINE_DIR = fileURLToPath(new URL('../../src/define/', import.meta.url));
/** Where the examples pretend to live; nothing is written there. */
const VIRTUAL_DIR = path.join(path.dirname(path.dirname(DEFINE_DIR)), '.examples');

/** Exports whose JSDoc must carry at least one example. */
const MUST_HAVE_EXAMPLE = ['createAction', 'createSync', 'createOnEvent', 'ActionInput', 'ActionOutput', 'FunctionContext', 'SyncRecord'];

interface Example {
  /** `createSync#1`: the export and the example's index on it. */
  id: string;
  exportName: string;
  code: string;
  /** The virtual file it is checked as. */
  fileName: string;
}

/** The code of an `@example` tag, without the Markdown fence some editors want around it. */
function exampleCode(tag: ts.JSDocTag): string {
  const text = ts.getTextOfJSDocComment(tag.comment) ?? '';
  const fenced = /^\s*```[a-z]*\n([\s\S]*?)```\s*$/.exec(text);
  return (fenced ? fenced[1]! : text).trim() + '\n';
}

function isExported(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function declaredName(node: ts.Statement): string | undefined {
  if (ts.isFunctionDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node) || ts.isClassDeclaration(node)) {
    return node.name?.text;
  }
  if (ts.isVariableStatement(node)) {
    const first = node.declarationList.declarations[0];
    return first && ts.isIdentifier(first.name) ? first.name.text : undefined;
  }
  return undefined;
}

/** Every `@example` on an exported declaration of one source file. */
function extractExamples(file: string): Example[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const examples: Example[] = [];
  for (const statement of source.statements) {
    const name = declaredName(statement);
    if (name === undefined || !isExported(statement)) continue;
    const tags = ts.getJSDocTags(statement).filter((tag) => tag.tagName.text === 'example');
    tags.forEach((tag, i) => {
      const id = `${name}#${i + 1}`;
      examples.push({ id, exportName: name, code: exampleCode(tag), fileName: path.join(VIRTUAL_DIR, `${name}.${i + 1}.ts`) });
    });
  }
  return examples;
}

/** What integration files are checked with, plus the strict flags a careful user turns on. */
function compilerOptions(): ts.CompilerOptions {
  return {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUnusedLocals: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    paths: {
      nango: [SDK_TYPES_FILE],
      patchbay: [SDK_TYPES_FILE],
      zod: [path.join(zodPackageDir(), 'index.d.cts')],
    },
  };
}

/** Type-checks snippets as modules of one program; the diagnostics of each, formatted. */
function typeCheck(snippets: { fileName: string; code: string }[]): Map<string, string[]> {
  const virtual = new Map(snippets.map((s) => [s.fileName, s.code]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError) => {
    const code = virtual.get(f);
    return code === undefined ? getSourceFile.call(host, f, language, onError) : ts.createSourceFile(f, code, language, true);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const global = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  const result = new Map<string, string[]>();
  for (const fileName of virtual.keys()) {
    const sf = program.getSourceFile(fileName)!;
    const diagnostics = [...global, ...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    result.set(fileName, diagnostics.map((d) => describeDiagnostic(d)));
  }
  return result;
}

function describeDiagnostic(d: ts.Diagnostic): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n    ');
  if (!d.file || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const text = d.file.text.split('\n')[line]?.trim() ?? '';
  return `line ${line + 1}:${character + 1} TS${d.code}: ${message}\n    > ${text}`;
}

const files = readdirSync(DEFINE_DIR).filter((f) => f.endsWith('.ts')).map((f) => path.join(DEFINE_DIR, f));
const examples = files.flatMap(extractExamples);

/** Wrong on purpose: the checker must reject each, or a passing run above proves nothing. */
const CONTROLS = [
  {
    why: 'output does not match the output schema',
    code: `import { createAction } from 'nango';\nimport * as z from 'zod';\nexport default createAction({ description: 'x', input: z.object({}), output: z.object({ id: z.number() }), exec: async () => ({ id: 'one' }) });\n`,
  },
  {
    why: 'batchSave to a model the sync does not declare',
    code: `import { createSync } from 'patchbay';\nimport * as z from 'zod';\nexport default createSync({ description: 'x', frequency: 'every hour', models: { A: z.object({ id: z.string() }) }, exec: async (nango) => { await nango.batchSave([{ id: '1' }], 'B'); } });\n`,
  },
  {
    why: 'ActionInput missing a required field',
    code: `import { createAction, type ActionInput } from 'nango';\nimport * as z from 'zod';\nconst a = createAction({ description: 'x', input: z.object({ n: z.number() }), output: z.void(), exec: async () => {} });\nexport const i: ActionInput<typeof a> = {};\n`,
  },
].map((c, i) => ({ ...c, fileName: path.join(VIRTUAL_DIR, `control.${i + 1}.ts`) }));

const diagnostics = typeCheck([...examples, ...CONTROLS]);

describe('JSDoc examples of the authoring SDK', () => {
  test('every authoring function and helper type shows an example', () => {
    const documented = new Set(examples.map((e) => e.exportName));
    assert.deepEqual(MUST_HAVE_EXAMPLE.filter((name) => !documented.has(name)), []);
  });

  for (const example of examples) {
    test(`${example.id} type-checks against the SDK`, () => {
      const errors = diagnostics.get(example.fileName)!;
      assert.equal(errors.length, 0, `the @example of ${example.exportName} does not compile:\n${errors.join('\n')}\n--- example ---\n${example.code}`);
    });
  }

  for (const control of CONTROLS) {
    test(`a wrong example is rejected: ${control.why}`, () => {
      const errors = diagnostics.get(control.fileName)!;
      assert.ok(errors.length > 0, `expected a type error (${control.why})`);
      assert.ok(!errors.some((e) => e.includes('TS2307')), `an import did not resolve:\n${errors.join('\n')}`);
    });
  }
});
