// Test ids in paths: anything that is not an id this service could have made
// is a 404 before it reaches storage (a huge id would otherwise overflow a KV
// key); the path parameter's zod schema (server/http/api_routes.ts) checks it.

/** As newId() makes them: 9 base-36 time digits and 8 hex; a little slack. */
export const TEST_ID = /^[0-9a-z]{1,32}$/;
