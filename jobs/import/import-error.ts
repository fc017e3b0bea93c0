// Every rejection of an input file names the file, the line and (when it is about one field) the column, so a
// user can open the file at that spot. main prints the message as the single error line.
export class ImportError extends Error {
  constructor(file: string, line: number | null, column: string | null, problem: string) {
    const where = [file, line === null ? null : `line ${line}`].filter(Boolean).join(' ');
    super(column === null ? `${where}: ${problem}` : `${where}, column ${column}: ${problem}`);
    this.name = 'ImportError';
  }
}
