// Redrawing a report in place on a terminal: move the cursor back up over
// what the previous frame took (its lines, wrapped at the terminal's width),
// clear to the end of the screen, write the new frame. Pure: the CLI writes
// the frames.

/** Terminal rows `text` (lines ending in "\n") takes at `columns` wide. */
export function terminalRows(text: string, columns: number): number {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const width = Math.max(1, columns);
  return lines.reduce(
    (rows, line) => rows + Math.max(1, Math.ceil(line.length / width)),
    0,
  );
}

/** The bytes that replace a frame of `previousRows` rows by `text` (a newline is added). */
export function liveFrame(
  text: string,
  previousRows: number,
  columns: number,
): { frame: string; rows: number } {
  const body = text + "\n";
  // CSI n F: to the start of the line n rows up; CSI J: clear to the end.
  const back = previousRows > 0 ? `\x1b[${previousRows}F\x1b[J` : "";
  return { frame: back + body, rows: terminalRows(body, columns) };
}
