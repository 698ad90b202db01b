// Plain wording for zod's built-in checks ("must be at least 1" instead of
// "Too small: expected number to be >=1"): every schema without a message of
// its own (config file, API bodies, CLI flags) reads like the ones that have.
// Installed once, globally, by importing this module (model/probe.ts does).
import { z } from "zod";

const A_TYPE: Record<string, string> = {
  array: "a list",
  boolean: "true or false",
  int: "a whole number",
  number: "a number",
  object: "a mapping of fields",
  string: "a string",
};

type Issue = Parameters<z.core.$ZodErrorMap>[0];

function bound(
  issue: { origin?: string; inclusive?: boolean },
  value: unknown,
  side: "least" | "most",
): string | undefined {
  const n = String(value);
  switch (issue.origin) {
    case "number":
    case "int":
      return issue.inclusive === false
        ? `must be ${side === "least" ? "more" : "less"} than ${n}`
        : `must be at ${side} ${n}`;
    case "string":
      return side === "least" && n === "1"
        ? "must not be empty"
        : `must have at ${side} ${n} characters`;
    case "array":
      return side === "least" && n === "1"
        ? "must list at least one entry"
        : `must list at ${side} ${n} entries`;
  }
  return undefined;
}

/** The plain message for `issue`, or undefined for zod's own. */
export function plainMessage(issue: Issue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return A_TYPE[issue.expected]
        ? `must be ${A_TYPE[issue.expected]}`
        : undefined;
    case "too_small":
      return bound(issue, issue.minimum, "least");
    case "too_big":
      return bound(issue, issue.maximum, "most");
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map(String).join(", ")}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${
        issue.keys.map((k: string) => `"${k}"`).join(", ")
      }`;
  }
  return undefined;
}

z.config({ customError: plainMessage });
