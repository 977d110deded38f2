/**
 * Stubs a Nango vitest file adds on top of its fixture. Nango's recorder does not save a
 * connection's `connection_config`, so template tests set it by hand:
 *
 *   nangoMock.getConnection = vi.fn().mockResolvedValue({ connection_config: { realmId: '934…' } });
 *   nangoMock.getConnection = vi.fn(async () => ({ connection_config: { … } }));
 *   vi.spyOn(nangoMock, 'getConnection').mockResolvedValue({ … });  // or .mockImplementation(() => …)
 *
 * `patchbay test` does not run vitest files, but it reads these forms (for `getConnection`
 * and `getMetadata`) from the `.test.ts` files that import the function, when the value is a plain
 * literal, and lays them over the fixture's `nango` section, as vitest would. Anything else in the
 * file is ignored. The TypeScript parser is loaded only when a file holds such a stub.
 *
 * @example
 * const stubs = await vitestStubs('/p/integrations/quickbooks', 'accounts');
 * // { getConnection: { connection_config: { realmId: '9341457021722202' } } }
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type * as TS from 'typescript';

const STUBBED = new Set(['getConnection', 'getMetadata']);

let tsModule: Promise<typeof TS> | undefined;
function typescript(): Promise<typeof TS> {
  tsModule ??= import('typescript').then((m) => ((m as unknown as { default?: typeof TS }).default ?? m) as unknown as typeof TS);
  return tsModule;
}

/** The value of a literal expression, or undefined when it is not a plain literal. */
function literal(ts: typeof TS, node: TS.Expression): { value: unknown } | undefined {
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) return literal(ts, node.expression);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return { value: node.text };
  if (ts.isNumericLiteral(node)) return { value: Number(node.text) };
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return { value: -Number(node.operand.text) };
  if (node.kind === ts.SyntaxKind.TrueKeyword) return { value: true };
  if (node.kind === ts.SyntaxKind.FalseKeyword) return { value: false };
  if (node.kind === ts.SyntaxKind.NullKeyword) return { value: null };
  if (ts.isArrayLiteralExpression(node)) {
    const out: unknown[] = [];
    for (const element of node.elements) {
      const v = literal(ts, element);
      if (!v) return undefined;
      out.push(v.value);
    }
    return { value: out };
  }
  if (ts.isObjectLiteralExpression(node)) {
    const out: Record<string, unknown> = {};
    for (const prop of node.properties) {
      if (!ts.isPropertyAssignment(prop)) return undefined;
      const name = ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) || ts.isNumericLiteral(prop.name) ? prop.name.text : undefined;
      const v = name === undefined ? undefined : literal(ts, prop.initializer);
      if (!v || name === undefined) return undefined;
      out[name] = v.value;
    }
    return { value: out };
  }
  return undefined;
}

/** `X.m = vi.fn().mockResolvedValue(v)` or `vi.spyOn(X, 'm').mockResolvedValue(v)` → [m, v]. */
function stubOf(ts: typeof TS, node: TS.Node): [string, unknown] | undefined {
  let method: string | undefined;
  let call: TS.CallExpression | undefined;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(node.left) && ts.isCallExpression(node.right)) {
    method = node.left.name.text;
    call = node.right;
  } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isPropertyAccessExpression(node.expression.expression)) {
    // nangoMock.getConnection.mockImplementation(async () => ({ … }))
    method = node.expression.expression.name.text;
    call = node;
  } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ts.isCallExpression(node.expression.expression)) {
    const spy = node.expression.expression;
    if (ts.isPropertyAccessExpression(spy.expression) && spy.expression.name.text === 'spyOn' && spy.arguments[1] && ts.isStringLiteral(spy.arguments[1])) {
      method = spy.arguments[1].text;
      call = node;
    }
  }
  if (!method || !call || !STUBBED.has(method) || !call.arguments[0] || !ts.isPropertyAccessExpression(call.expression)) return undefined;
  const how = call.expression.name.text;
  const arg = call.arguments[0];
  let value: { value: unknown } | undefined;
  if (how === 'mockResolvedValue' || how === 'mockResolvedValueOnce' || how === 'mockReturnValue') value = literal(ts, arg);
  else if (how === 'fn' || how === 'mockImplementation' || how === 'mockImplementationOnce') value = returned(ts, arg);
  return value ? [method, value.value] : undefined;
}

/** The literal an arrow or function expression returns (`async () => ({...})` or `{ return {...}; }`). */
function returned(ts: typeof TS, node: TS.Expression): { value: unknown } | undefined {
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return undefined;
  if (!ts.isBlock(node.body)) return literal(ts, node.body);
  const statements = node.body.statements;
  const only = statements.length === 1 ? statements[0] : undefined;
  return only && ts.isReturnStatement(only) && only.expression ? literal(ts, only.expression) : undefined;
}

/** Stubs set by the vitest files of `integrationDir/tests` that import function `name`. */
export async function vitestStubs(integrationDir: string, name: string): Promise<Record<string, unknown>> {
  const dir = path.join(integrationDir, 'tests');
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.test.ts')).sort();
  } catch {
    return {};
  }
  const importPattern = new RegExp(`from\\s+['"]\\.\\./(?:actions|syncs|on-events)/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\.js|\\.ts)?['"]`);
  const stubs: Record<string, unknown> = {};
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    if (!importPattern.test(text) || !/getConnection|getMetadata/.test(text)) continue;
    const ts = await typescript();
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const visit = (node: TS.Node): void => {
      const stub = stubOf(ts, node);
      if (stub && !(stub[0] in stubs)) stubs[stub[0]] = stub[1];
      ts.forEachChild(node, visit);
    };
    visit(source);
    if (Object.keys(stubs).length > 0) break;
  }
  return stubs;
}
