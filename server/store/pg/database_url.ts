// What a PostgreSQL connection URL must look like, checked once for the
// config file, PLA_DATABASE_URL and `deno task migrate`. Messages never echo
// the URL: it may hold a password.

export const DATABASE_URL_RULE =
  "must be a postgres:// or postgresql:// URL (postgres://user:password@host:5432/dbname)";

/** Why `url` is not a PostgreSQL URL, else null. */
export function databaseUrlProblem(url: string): string | null {
  if (!/^postgres(ql)?:\/\/[^\s]+$/.test(url)) return DATABASE_URL_RULE;
  try {
    new URL(url);
  } catch {
    return `${DATABASE_URL_RULE}; this one does not parse as a URL`;
  }
  return null;
}
