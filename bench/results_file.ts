// Puts the latest table into BENCHMARKS.md between its markers, leaving the
// hand-written explanations around it untouched.
const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** Replaces the results block (or appends one when the markers are missing). */
export async function writeResults(
  file: URL,
  machine: string,
  table: string,
): Promise<void> {
  let text = "";
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    text = "# Benchmarks\n";
  }
  const block = `${START}\n${machine}\n\n${table}\n${END}`;
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  const next = i >= 0 && j > i
    ? text.slice(0, i) + block + text.slice(j + END.length)
    : `${text.trimEnd()}\n\n${block}\n`;
  await Deno.writeTextFile(file, next);
  // The project's formatter aligns the table, so `deno fmt --check` stays green.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", decodeURIComponent(file.pathname)],
    stdout: "null",
    stderr: "inherit",
  }).output();
}
