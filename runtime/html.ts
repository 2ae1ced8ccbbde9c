// Markup built from templates that escape every value: record fields are attacker-chosen strings.

/** Markup that is already safe (built by `html` or `svg`); any other value is escaped when interpolated. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Characters that could change how a reader sees text: controls, bidi overrides, zero-width and line separators. */
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** Shows hidden characters as `\u{…}`, so that a path reads as what it is. */
export function visible(s: string): string {
  return s.replace(HIDDEN, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element's content or a quoted attribute (HTML and SVG alike). */
export function escape(s: string): string {
  return visible(s).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

type Value = Markup | string | number | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v instanceof Markup) return v.text;
  if (Array.isArray(v)) return (v as readonly Value[]).map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escape(String(v));
}

/** A template whose interpolations are escaped (arrays are joined; `Markup` is kept as is). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Markup(out);
}

/** Quotes a string for a POSIX shell, or returns null when it holds characters a reader would not see in a copied command. */
export function shellWord(s: string): string | null {
  if (s === '' || new RegExp(HIDDEN.source, 'u').test(s)) return null;
  return /^[\w@%+=:,./-]+$/u.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
