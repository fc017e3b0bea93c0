// Every rejection of an input file names the file, the line and (when it is about one field) the column, so a
// user can open the file at that spot. main prints the message as the single error line.

/** Characters of the offending text an error message shows at most. */
export const EXCERPT_LENGTH = 40;
/** Longest problem text kept, whatever produced it (a parser message quoting a huge field, say). */
const MAX_PROBLEM_LENGTH = 300;

// C0 and C1 controls, DEL and the Unicode line/paragraph separators: shown escaped so a message stays one
// line and cannot drive the terminal. Spaces other than the ASCII one (no-break, narrow, ideographic...),
// zero-width characters, direction marks and the BOM too, so a message never shows them as a plain space or
// as nothing.
const unprintable = /[\u0000-\u001f\u007f-\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u3000\ufeff]/g;
const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * The offending text as it appears in a message: quoted, control characters escaped, cut after
 * EXCERPT_LENGTH characters with an ellipsis and the full length, so a 10 MB field gives a short line.
 */
export function excerpt(text: string): string {
  // Slicing first keeps Array.from cheap on huge text; Array.from then never splits a surrogate pair.
  const head = Array.from(text.slice(0, 2 * EXCERPT_LENGTH + 2)).slice(0, EXCERPT_LENGTH).join('');
  const shown = JSON.stringify(head).replace(unprintable, escaped);
  return head.length < text.length ? `${shown}… (${text.length} characters)` : shown;
}

export class ImportError extends Error {
  constructor(file: string, line: number | null, column: string | null, problem: string) {
    const where = [file, line === null ? null : `line ${line}`].filter(Boolean).join(' ');
    const short =
      problem.length > MAX_PROBLEM_LENGTH
        ? `${Array.from(problem.slice(0, MAX_PROBLEM_LENGTH + 1)).slice(0, MAX_PROBLEM_LENGTH).join('')}…`
        : problem;
    const message = column === null ? `${where}: ${short}` : `${where}, column ${column}: ${short}`;
    super(message.replace(unprintable, escaped));
    this.name = 'ImportError';
  }
}
