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
 * literal, and lays them over the fixture's `nango` section, as vitest would. It also reads the
 * frozen clock (`vi.setSystemTime(new Date('2026-06-15T00:00:00Z'))` or `vi.useFakeTimers({ now })`,
 * a number, or a top-level const holding either), the starting checkpoint (`nangoMock.checkpoint = {…}`), so functions that compute dates from "now" ask what was recorded, and an
 * expected failure (`expect(action.exec(nangoMock, input)).rejects.toThrow('…')`).
 * Anything else in the file is ignored. The TypeScript parser is loaded only when needed.
 *
 * @example
 * const { nango, now } = await vitestOverrides('/p/integrations/quickbooks', 'accounts');
 * // nango: { getConnection: { connection_config: { realmId: '9341457021722202' } } }
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type * as TS from 'typescript';

const STUBBED = new Set(['getConnection', 'getMetadata', 'getCheckpoint']);

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

/** `nangoMock.checkpoint = { … }` (NangoSyncMock's starting checkpoint) → ['getCheckpoint', value]. */
function checkpointOf(ts: typeof TS, node: TS.Node): [string, unknown] | undefined {
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken || !ts.isPropertyAccessExpression(node.left)) return undefined;
  if (node.left.name.text !== 'checkpoint' || !ts.isIdentifier(node.left.expression) || node.left.expression.text !== 'nangoMock') return undefined;
  const value = literal(ts, node.right);
  return value ? ['getCheckpoint', value.value] : undefined;
}

/** What the vitest files of a function add to its fixture. */
export interface VitestOverrides {
  /** Stubbed `nango` answers (`getConnection`, `getMetadata`). */
  nango: Record<string, unknown>;
  /** The frozen clock, epoch ms, from `vi.setSystemTime(...)`. */
  now?: number;
  /** Set when the file expects the run to fail: `expect(x.exec(nangoMock, …)).rejects.toThrow('…')`. */
  expectError?: { message?: string };
}

/** `expect(<fn>.exec(nangoMock, …)).rejects.toThrow(<'message'>?)` → the expected failure. */
function rejectionOf(ts: typeof TS, node: TS.Node): { message?: string } | undefined {
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression) || node.expression.name.text !== 'toThrow') return undefined;
  const rejects = node.expression.expression;
  if (!ts.isPropertyAccessExpression(rejects) || rejects.name.text !== 'rejects' || !ts.isCallExpression(rejects.expression)) return undefined;
  const run = rejects.expression.arguments[0];
  if (!run || !ts.isCallExpression(run) || !ts.isPropertyAccessExpression(run.expression) || run.expression.name.text !== 'exec') return undefined;
  const mock = run.arguments[0];
  if (!mock || !ts.isIdentifier(mock) || mock.text !== 'nangoMock') return undefined;
  const arg = node.arguments[0];
  return arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) ? { message: arg.text } : {};
}

/** Evaluates a clock expression: `new Date('…')`, `new Date(…).getTime()`, numbers, `a * b`, a const. */
function timeOf(ts: typeof TS, node: TS.Expression, consts: Map<string, TS.Expression>, depth = 0): number | undefined {
  if (depth > 5) return undefined;
  if (ts.isParenthesizedExpression(node)) return timeOf(ts, node.expression, consts, depth + 1);
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
    const t = Date.parse(node.text);
    return Number.isNaN(t) ? undefined : t;
  }
  if (ts.isIdentifier(node)) {
    const init = consts.get(node.text);
    return init ? timeOf(ts, init, consts, depth + 1) : undefined;
  }
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && node.arguments?.length === 1) {
    return timeOf(ts, node.arguments[0]!, consts, depth + 1);
  }
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'getTime') {
    return timeOf(ts, node.expression.expression, consts, depth + 1);
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AsteriskToken) {
    const a = timeOf(ts, node.left, consts, depth + 1);
    const b = timeOf(ts, node.right, consts, depth + 1);
    return a !== undefined && b !== undefined ? a * b : undefined;
  }
  return undefined;
}

/** Stubs and clock set by the vitest files of `integrationDir/tests` that import function `name`. */
export async function vitestOverrides(integrationDir: string, name: string): Promise<VitestOverrides> {
  const dir = path.join(integrationDir, 'tests');
  const out: VitestOverrides = { nango: {} };
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.test.ts')).sort();
  } catch {
    return out;
  }
  const importPattern = new RegExp(`from\\s+['"]\\.\\./(?:actions|syncs|on-events)/${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\.js|\\.ts)?['"]`);
  const stubs = out.nango;
  for (const file of files) {
    const text = await readFile(path.join(dir, file), 'utf8');
    if (!importPattern.test(text) || !/getConnection|getMetadata|getCheckpoint|checkpoint =|setSystemTime|useFakeTimers|rejects/.test(text)) continue;
    const ts = await typescript();
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const consts = new Map<string, TS.Expression>();
    // A rejection is the fixture's expectation only in a file that asserts nothing else and does not
    // inject failures of its own (mockRejectedValue…), which the fixture would not reproduce.
    const failureOnly = !/mockRejected|toEqual\(|toStrictEqual\(|toMatchObject\(/.test(text);
    const visit = (node: TS.Node): void => {
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) consts.set(node.name.text, node.initializer);
      const stub = stubOf(ts, node) ?? checkpointOf(ts, node);
      if (stub && !(stub[0] in stubs)) stubs[stub[0]] = stub[1];
      if (out.now === undefined && ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'useFakeTimers') {
        const options = node.arguments[0];
        const nowProp = options && ts.isObjectLiteralExpression(options)
          ? options.properties.find((p): p is TS.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isIdentifier(p.name) && p.name.text === 'now')
          : undefined;
        const now = nowProp ? timeOf(ts, nowProp.initializer, consts) : undefined;
        if (now !== undefined) out.now = now;
      }
      if (out.now === undefined && ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'setSystemTime' && node.arguments[0]) {
        const now = timeOf(ts, node.arguments[0], consts);
        if (now !== undefined) out.now = now;
      }
      if (failureOnly && !out.expectError) {
        const rejection = rejectionOf(ts, node);
        if (rejection) out.expectError = rejection;
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    if (Object.keys(stubs).length > 0 || out.now !== undefined || out.expectError) break;
  }
  return out;
}
