// Progress of long jobs on a terminal: one stderr line rewritten in place, at most every 200 ms. Nothing is
// printed when stderr is not a TTY (CI logs, pipes), so output stays clean there.
export interface ProgressLine {
  update(text: string): void;
  /** Erases the line (call before printing the final result). */
  done(): void;
}

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (!stream.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      stream.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
