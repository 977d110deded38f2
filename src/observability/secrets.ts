/**
 * Redaction by value: every occurrence of a known secret string (a token, a key, a password, and
 * the encodings a provider may echo it in) becomes `[REDACTED]`. Key-based redaction
 * (`redact.ts`) hides secret-named fields; this hides secrets wherever they sit in a text, such
 * as an upstream error body that echoes the request's Authorization header.
 *
 * Redact the whole text, then cut it: a secret cut first survives as its prefix, which no longer
 * matches. `excerptOf` (errors.ts) does it in that order for every excerpt of upstream data, and
 * drops a secret's prefix left at the end of a text (`redactSecretTail`) as a second guard.
 *
 * @example
 * const secrets = { values: [] };
 * addSecretValue(secrets, 'tok_abc123');
 * redactText('Bearer tok_abc123 rejected', secrets); // 'Bearer [REDACTED] rejected'
 */

/** The placeholder put where a secret was. */
export const REDACTED = '[REDACTED]';

/** The shortest secret prefix removed from the end of a text (`redactSecretTail`). */
export const MIN_SECRET_TAIL = 6;

/** Secret strings to remove from texts. */
export interface SecretValues {
  /** Each secret and its encoded forms (tokens, keys, passwords). */
  values: string[];
}

function add(secrets: SecretValues, form: string): void {
  if (form.length >= 4 && !secrets.values.includes(form)) secrets.values.push(form);
}

/**
 * Adds a secret value when long enough to be meaningful (`min`, default 4 characters), with the
 * forms a provider may echo it in: URL-encoded (`%2B`), form-encoded (`+` for a space), escaped
 * inside a JSON string, base64 and base64url.
 */
export function addSecretValue(secrets: SecretValues, value: unknown, min = 4): void {
  if (typeof value !== 'string' || value.length < min) return;
  add(secrets, value);
  add(secrets, encodeURIComponent(value));
  add(secrets, new URLSearchParams({ v: value }).toString().slice(2));
  add(secrets, JSON.stringify(value).slice(1, -1));
  const bytes = Buffer.from(value, 'utf8');
  add(secrets, bytes.toString('base64'));
  add(secrets, bytes.toString('base64url'));
}

/** Replaces every known secret value in the whole text, longest first (a value containing another goes whole). */
export function redactText(text: string, secrets: SecretValues | undefined): string {
  if (!secrets || secrets.values.length === 0 || text === '') return text;
  let out = text;
  for (const value of [...secrets.values].sort((a, b) => b.length - a.length)) {
    if (out.includes(value)) out = out.split(value).join(REDACTED);
  }
  return out;
}

/**
 * A text whose end is the start of a secret (`MIN_SECRET_TAIL`+ characters) with that start
 * replaced by `[REDACTED]`: what remains of a secret where a text was cut, by us or by the
 * provider that echoed it.
 *
 * @example
 * redactSecretTail('token: tok_abc1', { values: ['tok_abc123'] }); // 'token: [REDACTED]'
 */
export function redactSecretTail(text: string, secrets: SecretValues | undefined, min = MIN_SECRET_TAIL): string {
  if (!secrets) return text;
  let cut = 0;
  for (const value of secrets.values) {
    if (value.length <= min) continue;
    const tail = text.slice(-(value.length - 1));
    const head = value.slice(0, min);
    // The longest tail that starts a secret: its first occurrence of the secret's head.
    for (let at = tail.indexOf(head); at >= 0; at = tail.indexOf(head, at + 1)) {
      if (value.startsWith(tail.slice(at))) {
        cut = Math.max(cut, tail.length - at);
        break;
      }
    }
  }
  return cut === 0 ? text : `${text.slice(0, text.length - cut)}${REDACTED}`;
}
